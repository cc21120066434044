using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Debug = System.Diagnostics.Debug;
using Akka.Routing;
using Akka.Streams;
using Akka.Streams.Stage;

namespace ActorPipeline.Internal;

/// <summary>The dispatch stage's state and behaviour; see <see cref="DispatchStage{T}"/>.</summary>
internal sealed partial class DispatchLogic<T> : TimerGraphStageLogic
{
    private const string SweepTimer = "sweep";
    private const string RouteesTimer = "routees";
    private const string BatchTimer = "batch";

    // How often the pool's list of routees is read: a cluster pool gains and loses routees as nodes come and go.
    private static readonly TimeSpan RouteeCheckPeriod = TimeSpan.FromMilliseconds(250);

    private readonly DispatchContext _context;
    private readonly PipelineSettings _settings;
    private readonly Inlet<Chunk<T>> _in;
    private readonly Outlet<ChunkOutcome> _out;
    private readonly LinkedList<WorkRun<T>> _waiting = new();
    private readonly Dictionary<IActorRef, RouteeState<T>> _routees = new();

    // Routees taken for stuck: the pool may list them for a while after the supervisor has asked it to drop them.
    private readonly HashSet<IActorRef> _retired = [];
    // Routees that hold nothing and ask for work, served first; then routees that work on one chunk and may take the next.
    private readonly Queue<RouteeState<T>> _idle = new();
    private readonly Queue<RouteeState<T>> _ahead = new();
    private readonly Dictionary<long, Assignment<T>> _inFlight = new();
    private readonly Queue<ChunkOutcome> _outcomes = new();
    private readonly long _stuckAfter;

    // Each routee holds one chunk at a time; `parallelism`, when set, caps the chunks out at once below that.
    private readonly int _maxChunksOut;
    // Sharing what waits among routees costs a hand-off per share, a few microseconds; it pays when the items take long
    // enough that routees working side by side finish sooner. So the stage learns how long an item takes from the
    // answers (a moving average, unknown at first) and shares only work that would keep one routee longer than this.
    private static readonly double ShareAboveTicks = Stopwatch.Frequency * 5e-6;

    // And a routee of the library's is handed at most about this much work at once (one item, while the stage has not
    // learnt yet), so that slow items wait here, where a routee that joins or frees up can take them, not in a busy
    // routee's hands.
    private static readonly double ChunkAtMostTicks = Stopwatch.Frequency * 10e-3;
    private double _ticksPerItem = double.PositiveInfinity;
    private StageActor _self = null!;
    private int _waitingItems;
    private long _chunkIds;
    private bool _upstreamDone;
    private bool _aborted;
    private bool _abandoned;
    private readonly TokenBucket? _rate;
    private long _batchTimerFor;
    // Items taken from the queue so far: the next one's place in the order items entered the pipeline.
    private long _entered;
    private readonly OutcomeOrder? _order;
    private readonly OrderingKeys<T>? _keys;
    private readonly bool _onePerKey;
    private readonly Overflow<T>? _overflow;
    private readonly DurablePlaces? _durable;
    // Every item's place can be told from its run (runs join only where places follow on): results in order and
    // durability need it.
    private readonly bool _tracksPlaces;
    private Action<ChunkOutcome>? _emit;

    public DispatchLogic(DispatchStage<T> stage, DispatchContext context, Inlet<Chunk<T>> @in, Outlet<ChunkOutcome> @out)
        : base(stage.Shape)
    {
        _context = context;
        _settings = context.Settings;
        _in = @in;
        _out = @out;

        // A routee gives up on an item of its own after consumer-timeout (when a sweep asks it to check), so the stage
        // waits two sweeps longer before it calls a routee stuck.
        _maxChunksOut = _settings.Parallelism ?? int.MaxValue;
        _rate = _settings.MaxRate is { } rate ? new TokenBucket(rate, _settings.MaxRateBurst) : null;
        _order = _settings.ResultsInOrder ? new OutcomeOrder() : null;
        _keys = (OrderingKeys<T>?)context.OrderingKeys?.Invoke();
        _overflow = context.Overflow as Overflow<T>;
        _durable = context.Durable ? new DurablePlaces() : null;
        _tracksPlaces = _order is not null || _durable is not null;
        // A batch handler takes its items together, and a consumer goes past an item put off by the retry backoff: with
        // either, a chunk holds one item of a key, so that the next waits for it.
        _onePerKey = context.Batches is not null || _settings.RetryBackoff is not null;
        _stuckAfter = (long)((_settings.ConsumerTimeout + 2 * SweepPeriod(_settings.ConsumerTimeout)).TotalSeconds * Stopwatch.Frequency);

        SetHandler(@in, onPush: OnPush, onUpstreamFinish: () =>
        {
            _upstreamDone = true;
            CompleteWhenDone();
        });
        SetHandler(@out, onPull: () =>
        {
            if (_outcomes.TryDequeue(out var outcome))
                Push(_out, outcome);
            CompleteWhenDone();
        });
    }

    /// <summary>How often the stage sweeps its chunks for stuck consumers: a quarter of consumer-timeout, between 10 ms and 1 s.</summary>
    public static TimeSpan SweepPeriod(TimeSpan consumerTimeout) =>
        TimeSpan.FromTicks(Math.Clamp(consumerTimeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond));

    public override void PreStart()
    {
        _self = GetStageActor(OnMessage);
        _context.Supervisor.Tell(new DispatchStarted(_self.Ref));
        _context.Pool.Tell(GetRoutees.Instance, _self.Ref);
        ScheduleRepeatedly(SweepTimer, SweepPeriod(_settings.ConsumerTimeout));
        ScheduleRepeatedly(RouteesTimer, RouteeCheckPeriod);
        Pull(_in);
    }

    protected override void OnTimer(object timerKey)
    {
        switch (timerKey)
        {
            case RouteesTimer:
                _context.Pool.Tell(GetRoutees.Instance, _self.Ref);
                break;
            case RetryTimer:
                ReleaseDue(Stopwatch.GetTimestamp());
                break;
            case RateTimer or BatchTimer:
                Pump();
                break;
            default:
                Sweep(Stopwatch.GetTimestamp());
                break;
        }
    }

    // Items come from the queue, whose content the capacity bounds already: the stage takes all it is offered (items sent
    // without credit in a drop mode take a place here, or are dropped).
    private void OnPush()
    {
        var chunk = Grab(_in);
        Pull(_in);
        var items = chunk.Unpaid ? Place(chunk.Items) : chunk.Items;
        if (items.Length == 0)
        {
            AssertInvariants();
            return;
        }

        var run = new WorkRun<T>(items, 0, items.Length, 0, 0, 0, Arrived: _context.Batches is null ? 0 : Stopwatch.GetTimestamp())
        {
            Traces = chunk.Traces,
            Position = _entered,
        };
        if (chunk.Origin is { } origin)
            _durable?.Entered(_entered, run.Count, origin);
        _entered += run.Count;
        if (_aborted || _abandoned)
        {
            Refuse(run);
            return;
        }

        _waiting.AddLast(run);
        _waitingItems += run.Count;
        Pump();
        AssertInvariants();
    }

    private void OnMessage((IActorRef Sender, object Message) envelope)
    {
        switch (envelope.Message)
        {
            case ChunkConsumed consumed:
                // By its chunk's id, from whoever sends it: a consumer of the application's own may answer through
                // another actor. An answer for a chunk given up already is dropped.
                if (_inFlight.TryGetValue(consumed.ChunkId, out var assignment))
                    Settle(assignment, consumed, known: true, Loss.None);
                break;
            case ChunkTaken { Started: true }:
                // A routee begins its chunks in the order it got them: this is the oldest it has not begun.
                if (_routees.TryGetValue(envelope.Sender, out var routee) && routee.Held.FirstOrDefault(a => a.BegunAt == 0) is { } begun)
                    begun.BegunAt = Stopwatch.GetTimestamp();
                break;
            case ChunkTaken:
                break; // queued behind the chunk it works on: judged once begun
            case Routees listed:
                OnRoutees(listed);
                break;
            case Terminated terminated:
                RouteeLost(terminated.ActorRef, "it terminated");
                break;
            case AbortDispatch:
                _aborted = true;
                RefuseWaiting();
                RefuseDelayed();
                break;
            case AbandonUnfinished:
                Abandon();
                break;
            default:
                // Anything else a routee sends answers its chunk wrongly: it fails the chunk's items, as an answer that
                // says so would.
                if (_routees.TryGetValue(envelope.Sender, out var wrong) && wrong.Held.FirstOrDefault() is { } held)
                {
                    var cause = envelope.Message is Status.Failure { Cause: { } failure } ? failure : new InvalidOperationException(
                        $"The consumer answered {envelope.Message?.GetType().Name ?? "null"} instead of {nameof(ChunkConsumed)}.");
                    Settle(held, new ChunkConsumed(held.Id, wrong.Actor.Path.Name, 0, [], 0, cause), known: false, Loss.None);
                }

                break;
        }

        CompleteWhenDone();
        AssertInvariants();
    }

    private void Emit(ChunkOutcome outcome)
    {
        if (IsAvailable(_out) && _outcomes.Count == 0)
            Push(_out, outcome);
        else
            _outcomes.Enqueue(outcome);
    }

    // Done once the queue has completed and every item has its outcome, delivered downstream.
    private void CompleteWhenDone()
    {
        if (_upstreamDone && _waitingItems == 0 && _delayedItems == 0 && _inFlight.Count == 0 && _outcomes.Count == 0)
            CompleteStage();
    }

    // As System.Threading.Channels does: the stage's state agrees with itself after every step (debug builds only).
    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        Debug.Assert(_waitingItems == _waiting.Sum(run => run.Count), "The waiting count is the items of the waiting runs.");
        Debug.Assert(_inFlight.Values.All(a => a.Routee.Held.Contains(a)), "Every chunk in flight is held by its routee.");
        Debug.Assert(_routees.Values.All(r => r.Held.Count <= r.Depth), "No routee holds more chunks than it may.");
        Debug.Assert(_delayedItems == _delayed.UnorderedItems.Sum(e => e.Element.Count), "The delayed count is the items waiting to retry.");
        Debug.Assert(_waitingItems + _delayedItems + _inFlight.Values.Sum(a => (long)a.Run.Count) + (_order?.Held ?? 0) <= _context.Credit.Capacity,
            "The stage holds no more items than the capacity.");
    }

    public override void PostStop()
    {
        foreach (var assignment in _inFlight.Values)
            assignment.Progress?.GiveUp();
    }
}
