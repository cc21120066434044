using Akka.Actor;
using Akka.Event;

namespace ActorPipeline.Internal;

/// <summary>Answers what producers send to a pipeline that has ended: a refusal that says so, instead of silence.</summary>
/// <remarks>
/// A pipeline's actors stop when it completes, so a late item or registration becomes a dead letter. One actor per
/// ActorSystem watches the dead letters for the producer protocol's messages and answers their senders; it is subscribed
/// to them (by <see cref="RunningPipelines"/>) before the system's first pipeline starts.
/// </remarks>
internal sealed class LateMessageRefusals : ReceiveActor
{
    public LateMessageRefusals()
    {
        Receive<DeadLetter>(dead => dead.Message is IItemCount or RegisterProducer, Refuse);
        ReceiveAny(_ => { });
    }

    /// <summary>Why a message to a pipeline that has ended is refused: the same words whichever part of it received it.</summary>
    public static string Reason(string pipeline) => $"Pipeline '{pipeline}' has completed (or was stopped); it takes nothing more.";

    private static void Refuse(DeadLetter dead)
    {
        if (dead.Sender is null || dead.Sender.IsNobody() || dead.Sender.Equals(Context.System.DeadLetters))
            return;

        // A pipeline is the top-level actor /user/<name>; its gateway is /user/<name>/gateway.
        var recipient = dead.Recipient.Path;
        var pipeline = recipient.Name == "gateway" ? recipient.Parent.Name : recipient.Name;
        var reason = Reason(pipeline);
        dead.Sender.Tell(dead.Message is IItemCount items
            ? new ProduceRefused(items.Count, reason)
            : new ProducerRejected(reason));
    }
}
