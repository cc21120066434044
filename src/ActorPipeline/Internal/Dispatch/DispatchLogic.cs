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
            case RateTimer:
                Pump();
                break;
            default:
                Sweep(Stopwatch.GetTimestamp());
                break;
        }
    }

    // Items come from the queue, whose content the capacity bounds already: the stage takes all it is offered.
    private void OnPush()
    {
        var chunk = Grab(_in);
        Pull(_in);
        var run = new WorkRun<T>(chunk.Items, 0, chunk.Items.Length, 0, 0, 0);
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

    /// <summary>Hands waiting work to routees that asked, a fair share each: first to those that hold nothing, then to
    /// those that may take their next chunk.</summary>
    private void Pump()
    {
        var limited = false;
        while (_waitingItems > 0 && _inFlight.Count < _maxChunksOut)
        {
            var ahead = _idle.Count == 0;
            var queue = ahead ? _ahead : _idle;
            if (queue.Count == 0)
                break;
            var allowed = RateAllows();
            if (allowed == 0)
            {
                limited = true;
                break;
            }

            var routee = queue.Dequeue();
            if (routee.Gone || routee.Held.Count != (ahead ? 1 : 0) || routee.Held.Count >= routee.Depth)
                continue;
            var askers = _ticksPerItem * _waitingItems > ShareAboveTicks ? Math.Min(queue.Count + 1, _maxChunksOut - _inFlight.Count) : 1;
            // A consumer of the application's own decides itself how long it takes (a test probe answers when the test
            // says): it gets what waits, as much as a chunk holds.
            var byTime = !_context.OwnRoutees ? int.MaxValue
                : double.IsPositiveInfinity(_ticksPerItem) ? 1 : (int)Math.Clamp(ChunkAtMostTicks / _ticksPerItem, 1, int.MaxValue);
            var share = Math.Max(1, Math.Min(Math.Min(Math.Min(_settings.ChunkSize, byTime), (_waitingItems + askers - 1) / askers), allowed));
            _rate?.Take(share);
            Send(routee, Take(share));
        }

        if (_rate is not null)
            _context.Counters.RateLimited = limited;
    }

    // A routee asks for work when it holds less than it may.
    private void Ask(RouteeState<T> routee)
    {
        if (routee.Gone || routee.Held.Count >= routee.Depth)
            return;
        (routee.Held.Count == 0 ? _idle : _ahead).Enqueue(routee);
    }

    // The first waiting run, or as much of it as the share allows; runs with the same history are joined, so a chunk
    // holds items that all have had the same tries.
    private WorkRun<T> Take(int share)
    {
        var first = _waiting.First!.Value;
        if (first.Count > share)
        {
            _waiting.First.Value = first.Slice(share, first.Count - share);
            _waitingItems -= share;
            return first.Slice(0, share);
        }

        _waiting.RemoveFirst();
        _waitingItems -= first.Count;
        if (first.Count == share || _waiting.First is not { } next || !SameHistory(first, next.Value))
            return first;

        var joined = new T[Math.Min(share, first.Count + _waitingItems)];
        first.Items.AsSpan(first.From, first.Count).CopyTo(joined);
        var count = first.Count;
        while (count < joined.Length && _waiting.First is { } node && SameHistory(first, node.Value))
        {
            var run = node.Value;
            var take = Math.Min(run.Count, joined.Length - count);
            run.Items.AsSpan(run.From, take).CopyTo(joined.AsSpan(count));
            count += take;
            _waitingItems -= take;
            if (take == run.Count)
                _waiting.RemoveFirst();
            else
                node.Value = run.Slice(take, run.Count - take);
        }

        return first with { Items = joined, From = 0, Count = count };
    }

    private static bool SameHistory(WorkRun<T> a, WorkRun<T> b) =>
        a.Attempt == b.Attempt && a.Redeliveries == b.Redeliveries && a.FreeResends == b.FreeResends && a.Sent == b.Sent;

    private void Send(RouteeState<T> routee, WorkRun<T> run)
    {
        var id = ++_chunkIds;
        var progress = routee.ReportsProgress ? new ChunkProgress() : null;
        var now = Stopwatch.GetTimestamp();
        var assignment = new Assignment<T>(id, routee, run, progress, now);
        _inFlight.Add(id, assignment);
        routee.Held.Add(assignment);
        if (routee.Held.Count == 1)
            assignment.BecomeFirst(now);
        Ask(routee);
        _context.Counters.Dispatch(run.Sent ? 0 : run.Count, progress);
        routee.Actor.Tell(new ConsumeChunk<T>(id, run.AsList(), run.Attempt) { Progress = progress }, _self.Ref);
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
        Debug.Assert(_waitingItems + _delayedItems + _inFlight.Values.Sum(a => (long)a.Run.Count) <= _context.Credit.Capacity, "The stage holds no more items than the capacity.");
    }

    public override void PostStop()
    {
        foreach (var assignment in _inFlight.Values)
            assignment.Progress?.GiveUp();
    }
}
