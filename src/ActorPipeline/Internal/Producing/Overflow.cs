using Akka.Actor;
using Akka.Event;

namespace ActorPipeline.Internal;

/// <summary>What a pipeline does with items that find no credit, under its <see cref="OverflowMode"/>: shared by its
/// producers, its gateway and its dispatch stage.</summary>
/// <remarks>
/// In a drop mode nobody waits for credit. An item that finds none is dropped where it is (drop-incoming, and fail, which
/// also ends the pipeline), or, under drop-oldest and drop-newest, sent on without credit: only the dispatch stage, the
/// one owner of the items waiting for a consumer, can take one of them out to make room. It settles each such item as it
/// arrives, after every item sent before it: it takes credit freed meanwhile, takes a waiting item's place, or drops
/// it. Items on that way are bounded by the capacity too, through <see cref="Transit"/>: a producer whose items would
/// exceed it lets the stage catch up first. It waits for the stage then, never for a consumer.
/// </remarks>
internal sealed class Overflow<T>
{
    private readonly Action<T, DropReason>? _onDropped;
    private readonly PipelineCounters _counters;
    private readonly IActorRef _supervisor;
    private readonly ILoggingAdapter _log;
    private int _exceeded;

    public Overflow(OverflowMode mode, Action<T, DropReason>? onDropped, PipelineCounters counters, IActorRef supervisor, ILoggingAdapter log, int capacity)
    {
        Mode = mode;
        _onDropped = onDropped;
        _counters = counters;
        _supervisor = supervisor;
        _log = log;
        Transit = new CreditPool(capacity, TransitFreed.Instance);
    }

    public OverflowMode Mode { get; }

    /// <summary>Producers wait for credit: <c>overflow = backpressure</c>.</summary>
    public bool Waits => Mode == OverflowMode.Backpressure;

    /// <summary>An item without credit goes on to the dispatch stage, which may make room for it.</summary>
    public bool MakesRoom => Mode is OverflowMode.DropOldest or OverflowMode.DropNewest;

    /// <summary>Room for items sent without credit and not yet placed by the dispatch stage, as much as the capacity; a
    /// waiter is told <see cref="TransitFreed"/>.</summary>
    public CreditPool Transit { get; }

    /// <summary>The dispatch stage (or a queue that ended) is done with <paramref name="count"/> items sent without credit.</summary>
    public void Arrived(int count) => Transit.Return(count);

    /// <summary><paramref name="count"/> items of <paramref name="producer"/> found no credit and were dropped as they came
    /// (each handed to <see cref="Dropped"/> already); under <c>overflow = fail</c> the first of them ends the pipeline.</summary>
    public void CountIncoming(int count, ProducerTally tally, IActorRef producer)
    {
        if (count == 0)
            return;
        tally.Add(count);
        _counters.AddDroppedAsProduced(count);
        if (Mode == OverflowMode.Fail && Interlocked.Exchange(ref _exceeded, 1) == 0)
            _supervisor.Tell(new CapacityExceeded(producer));
    }

    /// <summary>Hands a dropped item to the application's callback; the count is the caller's.</summary>
    public void Dropped(T item, DropReason reason)
    {
        if (_onDropped is null)
            return;
        try
        {
            _onDropped(item, reason);
        }
        catch (Exception e)
        {
            _log.Error(e, "Pipeline {0}: the dropped-item callback threw; the pipeline goes on.", _counters.Pipeline);
        }
    }
}

/// <summary>Room for items sent without credit came back: the producer that waited for it sends what it holds.</summary>
internal sealed record TransitFreed
{
    public static TransitFreed Instance { get; } = new();
}

/// <summary>Under <c>overflow = fail</c> an item of <paramref name="Producer"/> found the capacity used up.</summary>
internal sealed record CapacityExceeded(IActorRef Producer) : ISupervisorMessage;
