using Akka.Streams;
using Akka.Streams.Dsl;

namespace ActorPipeline.Internal;

/// <summary>The stream between the producers and the consumer pool: queue → dispatch → outcomes to the supervisor.</summary>
/// <remarks>
/// The queue holds <c>buffer-size / chunk</c> chunks, so it never holds more than <c>buffer-size</c> items. The dispatch
/// stage (<see cref="DispatchStage{T}"/>) owns every item taken out of the queue until its outcome is known; only
/// outcomes with failures or results travel on to the supervisor, for its callbacks and its report, those that pile up
/// while it is busy together. The sink waits for the supervisor's ack per delivery, and its completion message is the
/// proof that every item was processed.
/// </remarks>
internal static class PipelineStream<T>
{
    // While the supervisor handles one delivery, outcomes gather (finished items only, so the capacity is untouched).
    private const int MaxOutcomesPerBatch = 256;

    /// <summary>Chunks the queue holds: as many whole chunks as fit in <c>buffer-size</c> items, at least one.</summary>
    public static int QueueChunks(PipelineSettings settings) => Math.Max(1, settings.BufferSize / settings.OfferSize);

    /// <summary>Materializes the stream; returns the queue and its feed for producers and the gateway, and the switch
    /// that tears the stream down.</summary>
    public static (ISourceQueueWithComplete<Chunk<T>> Queue, QueueFeed<Chunk<T>> Feed, UniqueKillSwitch KillSwitch) Run(
        DispatchContext context, ActorMaterializer materializer)
    {
        var supervisor = context.Supervisor;
        var (source, feed) = QueueFeed<Chunk<T>>.Queue(QueueChunks(context.Settings));
        var ((queue, killSwitch), terminated) = source
            .ViaMaterialized(KillSwitches.Single<Chunk<T>>(), Keep.Both)
            .WatchTermination(Keep.Both)
            .Via(new DispatchStage<T>(context))
            .Batch(MaxOutcomesPerBatch, outcome => new OutcomeBatch(outcome), (batch, outcome) => batch.Add(outcome))
            .To(Sink.ActorRefWithAck<OutcomeBatch>(
                supervisor, StreamInit.Instance, StreamAck.Instance, StreamCompleted.Instance, ex => new StreamFailed(ex)))
            .WithAttributes(Attributes.CreateInputBuffer(1, 1))
            .Run(materializer);

        // The sink reports failures of the stages before it; this catches the stream itself dying (its actor
        // stopped, a stage that threw while stopping), which would otherwise leave the report pending for ever.
        terminated.ContinueWith(
            static (done, supervisor) => ((Akka.Actor.IActorRef)supervisor!).Tell(new StreamFailed(Exceptions.Unwrap(done.Exception!)), Akka.Actor.ActorRefs.NoSender),
            supervisor,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return (queue, feed, killSwitch);
    }
}
