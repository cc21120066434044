using ActorPipeline.Internal;
using Akka.Actor;

namespace ActorPipeline;

/// <summary>A message of the credit-based conversation between a producer actor and a pipeline.</summary>
/// <remarks>
/// The conversation, for an actor of the application that wants to feed a pipeline:
/// <list type="number">
/// <item>It sends <see cref="RegisterProducer"/> to <see cref="PipelineHandle.Actor"/> (or is named in
/// <c>PipelineBuilder.WithProducer</c>), and receives <see cref="ProducerRegistered"/> with the gateway and its credit,
/// which may be 0 while the pipeline's capacity is used up.</item>
/// <item>It sends <see cref="Produce{T}"/> or <see cref="ProduceBatch{T}"/> to the gateway, never more items than the
/// credit it holds; each <see cref="ProduceAck"/> grants more, as items finish somewhere in the pipeline and their
/// credit returns to the capacity (a producer is topped up once it has used half of <c>producer-credit</c>).</item>
/// <item>It stops when it has nothing more to send. When the last producer has stopped, the pipeline
/// drains and completes: stopping is the end-of-stream signal, there is no sentinel item.</item>
/// </list>
/// Items beyond the credit, or from an actor that is not registered, are answered with <see cref="ProduceRefused"/>
/// and never enter the pipeline. A pipeline that is asked to stop sends <see cref="StopProducing"/>.
/// </remarks>
public interface IProducerMessage;

/// <summary>Asks the pipeline to accept the sender as a producer, named <paramref name="Name"/> (its actor's name when not given).</summary>
public sealed record RegisterProducer(string? Name = null) : IProducerMessage
{
    /// <summary>A registration under the actor's own name.</summary>
    public static RegisterProducer Instance { get; } = new();
}

/// <summary>The sender is a producer: it may send <paramref name="Credit"/> items to <paramref name="Gateway"/>, and more as <see cref="ProduceAck"/> grants them.</summary>
public sealed record ProducerRegistered(IActorRef Gateway, int Credit) : IProducerMessage;

/// <summary>The pipeline does not accept the sender as a producer, for the stated reason.</summary>
public sealed record ProducerRejected(string Reason) : IProducerMessage;

/// <summary>One item from a producer to the gateway.</summary>
public sealed record Produce<T>(T Item) : IProducerMessage, IItemCount
{
    int IItemCount.Count => 1;
}

/// <summary>Several items from a producer to the gateway, in order; they count against the credit one by one.</summary>
public sealed record ProduceBatch<T>(IReadOnlyList<T> Items) : IProducerMessage, IItemCount
{
    int IItemCount.Count => Items.Count;
}

/// <summary>The receiving producer may send <paramref name="Count"/> more items: items finished and their credit came back.</summary>
public sealed record ProduceAck(int Count) : IProducerMessage;

/// <summary><paramref name="Count"/> items were not accepted and did not enter the pipeline, for the stated reason.</summary>
public sealed record ProduceRefused(int Count, string Reason) : IProducerMessage;

/// <summary>The pipeline is draining or aborting: the producer should stop sending and stop itself.</summary>
public sealed record StopProducing(string Reason) : IProducerMessage;
