using Akka.Actor;

namespace ActorPipeline.Internal;

/// <summary>Everything a pipeline supervisor needs to start; local to the process that starts the pipeline.</summary>
internal sealed record PipelineSpec<T>(
    string Name,
    PipelineSettings Settings,
    IReadOnlyList<KeyValuePair<string, Func<CancellationToken, IAsyncEnumerable<T>>>> Sources,
    IReadOnlyList<KeyValuePair<string, IActorRef>> Producers,
    Func<IActorRef, PipelineSettings, Props> ConsumerProps,
    bool OwnRoutees,
    Action<ItemFailure<T>>? OnFailedItem,
    Action<ProducerSummary>? OnProducerStopped,
    TaskCompletionSource<PipelineReport> Completion,
    PipelineCounters Counters,
    int Capacity);
