using Akka.Actor;

namespace ActorPipeline;

/// <summary>A message between the pipeline and a consumer routee.</summary>
/// <remarks>
/// A consumer supplied as <see cref="Props"/> receives <see cref="ConsumeChunk{T}"/> and must answer the sender
/// with exactly one <see cref="ChunkConsumed"/> per chunk, also when items fail. A chunk that is not answered
/// within <c>consumer-timeout</c> per item is retried (when <c>max-retries</c> allows) or failed with a
/// <see cref="TimeoutException"/>; nothing is dropped silently.
/// </remarks>
public interface IConsumerMessage;

/// <summary>Work for a consumer: items to handle in order; <paramref name="Attempt"/> is 0 on first delivery.</summary>
public sealed record ConsumeChunk<T>(long ChunkId, IReadOnlyList<T> Items, int Attempt) : IConsumerMessage
{
    /// <summary>How far a routee of this process has got, item by item; never sent to another node.</summary>
    internal Internal.ChunkProgress? Progress { get; init; }

    /// <summary>The publish spans the items came with, when a listener traces the pipeline: the consumer's process span
    /// continues the first and links to all.</summary>
    internal IReadOnlyList<System.Diagnostics.ActivityContext>? Traces { get; init; }

    /// <summary>The answer for a chunk whose items were all handled, successfully unless listed in <paramref name="failures"/>.</summary>
    public ChunkConsumed Completed(IActorRef consumer, IReadOnlyList<ItemFault>? failures = null, int retried = 0) =>
        new(ChunkId, consumer.Path.Name, Items.Count, failures ?? [], retried, null);
}

/// <summary>How a consumer handled a chunk.</summary>
/// <param name="ChunkId">The chunk answered.</param>
/// <param name="Consumer">The name of the consumer that handled it.</param>
/// <param name="Answered">Items [0, Answered) were handled; the rest were not started and go back to the pipeline.</param>
/// <param name="Failures">The handled items that failed, by index into the chunk.</param>
/// <param name="Retried">How many retries the consumer made.</param>
/// <param name="Interruption">Why the items after <paramref name="Answered"/> were not handled, when there are any.</param>
/// <param name="InterruptedItemStarted">Whether the first unhandled item had been given to a handler: it then counts as
/// tried (a retry or a failure); items never given to a handler are sent to a consumer again at no cost.</param>
public sealed record ChunkConsumed(
    long ChunkId, string Consumer, int Answered, IReadOnlyList<ItemFault> Failures, int Retried, Exception? Interruption,
    bool InterruptedItemStarted = true)
    : IConsumerMessage
{
    /// <summary>With a handler of the library's that returns results: an array of the result type whose first
    /// <c>Answered − Failures.Count</c> entries are the results of the items that succeeded, in item order. A custom
    /// consumer cannot return results, so this is the library's own business.</summary>
    internal Array? Results { get; init; }

    /// <summary>Answered items that failed and are to be tried again after a wait (the retry backoff), by index: the
    /// routee went on with the chunk instead of trying them again at once. The library's own business, as the results are.</summary>
    internal IReadOnlyList<ItemFault>? Deferred { get; init; }

    /// <summary>How long a routee of the library's took over the chunk, from beginning it to answering (zero when the
    /// answer does not say): the pipeline learns from it how long items take, without the time spent travelling.</summary>
    internal TimeSpan Took { get; init; }
}

/// <summary>One failed item of a chunk: its index, the last exception, and how often it was tried.</summary>
public sealed record ItemFault(int Index, Exception Cause, int Attempts);
