using Akka.Actor;

namespace ActorPipeline.Internal;

/// <summary>Messages the queue gateway receives from the supervisor and from itself.</summary>
internal interface IGatewayMessage;

/// <summary>Grant <paramref name="Producer"/> credit and accept its items from now on.</summary>
internal sealed record Attach(IActorRef Producer, string Name, ProducerTally? Tally = null) : IGatewayMessage;

/// <summary><paramref name="Producer"/> has stopped or was let go: its unused credit goes back, and what it sends from now on is refused for <paramref name="Reason"/>.</summary>
internal sealed record Detach(IActorRef Producer, string Reason) : IGatewayMessage;

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

