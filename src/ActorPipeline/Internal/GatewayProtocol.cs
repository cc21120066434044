using Akka.Actor;

namespace ActorPipeline.Internal;

/// <summary>Messages the queue gateway receives from the supervisor and from itself.</summary>
internal interface IGatewayMessage;

/// <summary>Accept items from <paramref name="Producer"/> from now on.</summary>
internal sealed record Attach(IActorRef Producer) : IGatewayMessage;

/// <summary><paramref name="Producer"/> has stopped: offer what it sent, then forget its credit.</summary>
internal sealed record Detach(IActorRef Producer) : IGatewayMessage;

/// <summary>No producer is left: complete the queue once nothing is waiting and no offer is outstanding.</summary>
internal sealed record CompleteWhenIdle : IGatewayMessage
{
    public static CompleteWhenIdle Instance { get; } = new();
}

/// <summary>A chunk has left the queue (the gateway asked to hear of it), or the queue has ended: the gateway looks again.</summary>
internal sealed record QueueChanged : IGatewayMessage
{
    public static QueueChanged Instance { get; } = new();
}

