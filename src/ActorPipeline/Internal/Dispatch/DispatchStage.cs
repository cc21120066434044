using System.Diagnostics;
using Akka.Actor;
using Akka.Routing;
using Akka.Streams;
using Akka.Streams.Stage;

namespace ActorPipeline.Internal;

/// <summary>What the dispatch stage needs from the pipeline that runs it.</summary>
internal sealed record DispatchContext(
    PipelineSettings Settings, IActorRef Pool, IActorRef Supervisor, PipelineCounters Counters, CreditPool Credit, bool OwnRoutees, bool HoldCredit,
    BatchLimits? Batches = null, Func<object>? OrderingKeys = null, object? Overflow = null, bool Durable = false);

/// <summary>A batch handler's batches: at most <paramref name="MaxItems"/> items, and no longer than
/// <paramref name="MaxWait"/> waiting to fill.</summary>
internal sealed record BatchLimits(int MaxItems, TimeSpan MaxWait);

/// <summary>The one owner of the work in flight: takes chunks from the queue, hands work only to routees that asked for
/// it, and turns every answer, loss and deadline into outcomes.</summary>
/// <remarks>
/// A routee asks for work by holding less than it may (a routee of the library's the chunk it works on and one more, so
/// that it never waits for the stream to hear its answer; another consumer one): when the stage learns of it (the
/// pool's list of routees), when it takes a chunk, and with every answer. Routees that hold nothing are served first.
/// Each gets a share of what is waiting — the items waiting divided among the routees that asked, at most a
/// chunk, and at most about 10 ms of work by the item time the stage has learnt from answers — so at small capacities
/// every consumer the capacity allows is busy, slow items wait here for whichever routee frees up or joins, and fast
/// ones still move in full chunks. Work waits here, not in routees' mailboxes, so a routee that joins mid-run (a worker node) shares it at
/// once. Everything runs on the stream's actor: the table of chunks in flight, their attempts and deadlines (this
/// stage's timers), lost routees (it watches them) and the credit that goes back as outcomes arrive.
/// </remarks>
internal sealed class DispatchStage<T>(DispatchContext context) : GraphStage<FlowShape<Chunk<T>, ChunkOutcome>>
{
    private readonly Inlet<Chunk<T>> _in = new("dispatch.in");
    private readonly Outlet<ChunkOutcome> _out = new("dispatch.out");

    public override FlowShape<Chunk<T>, ChunkOutcome> Shape => new(_in, _out);

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new DispatchLogic<T>(this, context, _in, _out);
}
