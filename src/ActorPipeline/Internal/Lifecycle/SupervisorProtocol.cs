using Akka.Actor;

namespace ActorPipeline.Internal;

/// <summary>Messages the pipeline supervisor receives from its children, its stream and its handle.</summary>
internal interface ISupervisorMessage;

/// <summary>The gateway has forgotten a stopped producer; <paramref name="Produced"/> of its items entered the queue.</summary>
internal sealed record ProducerDetached(IActorRef Producer, long Produced) : ISupervisorMessage;

/// <summary>The gateway completed the queue; these are the final produced counts by producer.</summary>
internal sealed record GatewayCompleted(IReadOnlyDictionary<IActorRef, long> Produced) : ISupervisorMessage;

/// <summary>The queue ended (closed or failed) while the gateway still had items for it; those were refused.</summary>
internal sealed record GatewayFailed(Exception Cause) : ISupervisorMessage;

/// <summary>A routee finished nothing for longer than consumer-timeout allows (a handler that never returns): it is replaced.</summary>
internal sealed record ConsumerStuck(IActorRef Routee) : ISupervisorMessage;

/// <summary>The stream had its time to fail what was unfinished at the stop deadline, and has not completed: the run ends now.</summary>
internal sealed record AbandonOverdue : ISupervisorMessage
{
    public static AbandonOverdue Instance { get; } = new();
}

/// <summary>A durable pipeline's state could not be read: the run faults with <paramref name="Cause"/>, which names the store.</summary>
internal sealed record DurableStateFailed(Exception Cause) : ISupervisorMessage;

/// <summary>A durable pipeline's state of earlier runs is read.</summary>
internal sealed record DurableStateRead : ISupervisorMessage
{
    public static DurableStateRead Instance { get; } = new();
}

/// <summary>A durable run's end is written (or could not be, which is logged): its Completion is told now.</summary>
internal sealed record DurableRunEnded : ISupervisorMessage
{
    public static DurableRunEnded Instance { get; } = new();
}

/// <summary>A consumer routee could not create its handler.</summary>
internal sealed record ConsumerStartFailed(Exception Cause) : ISupervisorMessage, IWireMessage;

/// <summary>Sent by the stream's sink before the first outcome.</summary>
internal sealed record StreamInit : ISupervisorMessage
{
    public static StreamInit Instance { get; } = new();
}

/// <summary>The supervisor's answer to the sink: send the next outcome.</summary>
internal sealed record StreamAck
{
    public static StreamAck Instance { get; } = new();
}

/// <summary>Every chunk has its outcome: processing is complete.</summary>
internal sealed record StreamCompleted : ISupervisorMessage
{
    public static StreamCompleted Instance { get; } = new();
}

/// <summary>The stream failed.</summary>
internal sealed record StreamFailed(Exception Cause) : ISupervisorMessage;

/// <summary>Stop the pipeline early: drain, or abort when <paramref name="Abort"/>; give up after <paramref name="Deadline"/>.</summary>
internal sealed record StopPipeline(bool Abort, TimeSpan Deadline) : ISupervisorMessage;

/// <summary>The stop deadline has passed.</summary>
internal sealed record StopDeadlinePassed : ISupervisorMessage
{
    public static StopDeadlinePassed Instance { get; } = new();
}

/// <summary>A routee on another node has taken a chunk, and with <paramref name="Started"/> begun it; told to the chunk's reply.</summary>
/// <remarks>A routee that cannot begin a chunk at once says so twice: when it takes it, and when it begins it. The
/// reply knows which routee it was sent to, so the message names none.</remarks>
internal sealed record ChunkTaken(bool Started) : IWireMessage
{
    public static ChunkTaken Queued { get; } = new(false);

    public static ChunkTaken Begun { get; } = new(true);
}

/// <summary>Sent by the pipeline's sweep to a routee that has made no progress since the sweep before: the routee fails
/// the item in its handler if that item has been there for longer than consumer-timeout.</summary>
internal sealed record CheckHandler : IWireMessage
{
    public static CheckHandler Instance { get; } = new();
}

/// <summary>Sent by the pipeline to a routee on another node when its stop deadline passes: the chunk
/// <paramref name="ChunkId"/> is abandoned, so the routee cancels its handler and drops what is left of it.</summary>
internal sealed record ChunkAbandoned(long ChunkId) : IWireMessage;

/// <summary>A consumer routee's settings, one record so that the props of a routee deployed on another node are plain data.</summary>
/// <param name="Handler">The handler type the routee creates.</param>
/// <param name="Pipeline">The pipeline's supervisor, told when the handler cannot be created.</param>
/// <param name="MaxRetries">Retries of an item whose handler failed.</param>
/// <param name="Timeout">Longest time one item may spend in its handler.</param>
/// <param name="RetryLater">Whether a failed item with retries left is handed back to be tried again after a wait (the
/// retry backoff), rather than tried again at once by the routee.</param>
internal sealed record RouteeSettings(Type Handler, IActorRef Pipeline, int MaxRetries, TimeSpan Timeout, bool RetryLater) : IWireMessage
{
    /// <summary>The settings of a routee of <paramref name="pipeline"/> that creates a <paramref name="handler"/>.</summary>
    public static RouteeSettings For(Type handler, IActorRef pipeline, PipelineSettings settings) =>
        new(handler, pipeline, settings.MaxRetries, settings.ConsumerTimeout, settings.RetryBackoff is not null);
}

/// <summary>A message of the library's own that may cross nodes: plain data, written by ActorPipeline.Cluster's wire format.</summary>
internal interface IWireMessage;
