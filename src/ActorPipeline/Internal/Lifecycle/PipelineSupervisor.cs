using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Akka.Routing;
using Akka.Streams;

namespace ActorPipeline.Internal;

/// <summary>The parent of one pipeline: starts its parts, watches its producers, aggregates outcomes and completes the report.</summary>
/// <remarks>
/// Lifecycle: Running while any producer is alive (even when idle); Draining once the last producer has stopped
/// (the gateway then completes the queue after its pending offer); Completed when the stream's sink has delivered
/// every outcome and the gateway its final counts. Then the supervisor stops, and with it every actor of the
/// pipeline. A drain or abort request stops the producers early; a stop deadline bounds both.
/// </remarks>
internal sealed partial class PipelineSupervisor<T> : ReceiveActor, IWithTimers
{
    private sealed class ProducerEntry(string name, ProducerTally? tally)
    {
        public string Name { get; } = name;

        // A source producer counts its own items; a producer actor's count comes from the gateway once it is let go.
        public ProducerTally? Tally { get; } = tally;
        public long Produced { get; set; }
        public Exception? Failure { get; set; }
        public bool Alive { get; set; } = true;
        public bool Child => Tally is not null;
    }

    private readonly PipelineRecipe<T> _spec;
    private readonly PipelineSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Dictionary<IActorRef, ProducerEntry> _producers = new();
    private readonly List<ProducerEntry> _producerOrder = [];
    private readonly List<ItemFailure> _failures = [];
    private IActorRef _pool = ActorRefs.Nobody;
    private IActorRef _gateway = ActorRefs.Nobody;
    private ProducerLink<T> _link = null!;
    private UniqueKillSwitch? _killSwitch;
    private IActorRef? _dispatch;
    private readonly List<IDispatchCommand> _forDispatch = [];
    private CreditPool _credit = null!;
    private Action<Exception>? _resultFailed;
    private PipelineState _state = PipelineState.Running;
    private PipelineOutcome _outcome = PipelineOutcome.Completed;
    private int _alive;
    private readonly PipelineCounters _counters;
    private bool _streamDone;
    private bool _gatewayDone;

    private bool _gatewayStopped;
    private PipelineOverflowException? _overflowed;

    // A durable pipeline's run: told of every item finished; the run's end waits for its last write.
    private IDurableRun? _durable;
    private bool _durableEnded;
    private bool _clean;

    // How the run ended, told once the gateway has stopped.
    private Action? _complete;

    public PipelineSupervisor(PipelineRecipe<T> spec)
    {
        _spec = spec;
        _settings = spec.Settings;
        _counters = spec.Counters;

        Receive<RegisterProducer>(OnRegister);
        Receive<ProducerDetached>(OnProducerDetached);
        Receive<Terminated>(OnTerminated);
        Receive<StreamInit>(_ => Sender.Tell(StreamAck.Instance));
        Receive<OutcomeBatch>(batch =>
        {
            foreach (var outcome in batch.Outcomes)
            {
                Aggregate(outcome);
                Deliver(outcome);
                if (outcome.Finished is { } finished)
                    _durable!.Finished(finished);
            }

            Sender.Tell(StreamAck.Instance);
        });
        Receive<StreamCompleted>(_ =>
        {
            _streamDone = true;
            TryComplete();
        });
        Receive<GatewayCompleted>(g =>
        {
            foreach (var (producer, produced) in g.Produced)
                if (_producers.TryGetValue(producer, out var entry))
                    entry.Produced = produced;
            _gatewayDone = true;
            TryComplete();
        });
        Receive<StreamFailed>(f => Fault("The pipeline stream failed.", f.Cause));
        Receive<GatewayFailed>(f => Fault("The pipeline queue ended before the stream took every item.", f.Cause));
        Receive<ConsumerStartFailed>(f => Fault($"A consumer could not create its handler: {f.Cause.Message}", f.Cause));
        Receive<StopPipeline>(OnStop);
        Receive<CapacityExceeded>(OnCapacityExceeded);
        Receive<StopDeadlinePassed>(_ => AbandonUnfinished());
        Receive<AbandonOverdue>(_ => EndNow());
        Receive<ConsumerStuck>(stuck => Replace(stuck.Routee));
        Receive<DurableStateFailed>(f => Fault(f.Cause.Message, f.Cause));
        Receive<DurableStateRead>(_ => { });
        Receive<DurableRunEnded>(_ => TellCompletion());
        Receive<DispatchStarted>(started =>
        {
            _dispatch = started.Stage;
            foreach (var command in _forDispatch)
                _dispatch.Tell(command);
            _forDispatch.Clear();
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    // Written through to the counters, where a status is read without asking this actor (it may be busy in a callback).
    private PipelineState State
    {
        get => _state;
        set => _counters.State = _state = value;
    }

    private int ProducersAlive
    {
        get => _alive;
        set => _counters.ProducersAlive = _alive = value;
    }

    // Producers stop: restarting one would run its source again from the start and duplicate its items.
    // The gateway and the pool stop too: neither's state (credits, in-flight chunks) can be rebuilt, and the
    // supervisor turns their termination into a faulted report instead of running on without them.
    // Routees are supervised by the pool, with RouteeStrategy below, not here.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    protected override void PreStart()
    {
        var routee = _spec.ConsumerProps(Self, _settings);
        if (_settings.BlockingHandlers)
            routee = routee.WithDispatcher(PipelineSettings.BlockingDispatcher);
        var pool = new RoundRobinPool(_settings.Consumers).WithSupervisorStrategy(RouteeStrategy);
        _pool = Context.Watch(Context.ActorOf(routee.WithRouter(pool), "consumers"));

        if (_spec.Durability is { } durability)
        {
            _durable = durability.Begin(Context, _spec.Name, _counters);
            _durable.Ready.PipeTo(Self, success: () => DurableStateRead.Instance, failure: e => new DurableStateFailed(Exceptions.Unwrap(e)));
        }

        var credit = _credit = new CreditPool(_spec.Capacity);
        var overflow = new Overflow<T>(_settings.Overflow, _spec.OnDroppedItem, _counters, Self, _log, _spec.Capacity);
        (var queue, var feed, _killSwitch) = PipelineStream<T>.Run(
            new DispatchContext(_settings, _pool, Self, _counters, credit, _spec.OwnRoutees, HoldCredit: _spec.Results is not null, _spec.Batches,
                _spec.OrderingKeys, overflow, Durable: _durable is not null),
            Context.Materializer());
        _link = new ProducerLink<T>(feed, credit, _counters, _settings.OfferSize, _settings.ProducerCredit, overflow);
        var link = _link;
        var pipeline = _spec.Name;
        _gateway = Context.Watch(Context.ActorOf(Props.Create(() => new QueueGateway<T>(queue, link, Self, pipeline)), "gateway"));

        var index = 0;
        foreach (var (name, source) in _spec.Sources)
        {
            var tally = new ProducerTally();
            int? durableIndex = _durable is null ? null : index++;
            var producer = Context.ActorOf(Props.Create(() => new SourceProducer<T>(source, link, tally, durableIndex)), $"producer-{name}");
            Register(producer, name, tally);
        }

        foreach (var (name, producer) in _spec.Producers)
            Register(producer, name, tally: null);

        DrainWhenNoProducerIsLeft();
    }

    // A routee that throws outside its handler is restarted (it answers for its chunks first); one that cannot
    // even create its handler is stopped, since a restart would fail the same way.
    private static readonly SupervisorStrategy RouteeStrategy =
        new OneForOneStrategy(e => e is ActorInitializationException ? Directive.Stop : Directive.Restart);

    // No producer alive means the end, unless the pipeline keeps alive for producers still to come: then only a drain
    // or an abort ends it.
    private void DrainWhenNoProducerIsLeft()
    {
        if (_alive == 0 && (!_settings.KeepAlive || State != PipelineState.Running))
            BeginDraining();
    }

    private void BeginDraining()
    {
        if (State == PipelineState.Running)
            State = PipelineState.Draining;
        _gateway.Tell(CompleteWhenIdle.Instance);
    }

    // The counts were added by the stream as each chunk finished; the supervisor keeps the failures.
    private void Aggregate(ChunkOutcome outcome)
    {
        foreach (var failure in outcome.Failures)
        {
            if (_failures.Count < _settings.MaxReportedFailures)
                _failures.Add(failure);
            Notify(_spec.OnFailedItem, (ItemFailure<T>)failure);
        }
    }

    // Results reach the application's callback here, on this actor; only then does their credit go back, so results
    // waiting to be delivered count against the capacity like items still at a consumer.
    private void Deliver(ChunkOutcome outcome)
    {
        if (_spec.Results is { } delivery && outcome.Results is { } runs)
        {
            foreach (var run in runs)
                delivery.Deliver(run.Results, run.Start, run.Count, _resultFailed ??= e => _log.Error(e, "Pipeline {0}: the result callback threw; the pipeline goes on.", _spec.Name));
        }

        if (outcome.HeldCredit > 0)
            _credit.Return(outcome.HeldCredit);
    }

    // A routee whose handler never returns holds its thread for good: it leaves the pool, which gets a new routee
    // instead, and it is stopped should its handler ever return.
    private void Replace(IActorRef routee)
    {
        _log.Warning("Pipeline {0}: consumer {1} finished nothing for longer than consumer-timeout; it is replaced.", _spec.Name, routee.Path.Name);
        // A cluster pool places routees on its nodes itself; a local one is grown by one first, since a pool whose last
        // routee is removed stops itself, and a pool of one would end the run.
        if (!_spec.RemoteRoutees)
            _pool.Tell(new AdjustPoolSize(1));
        _pool.Tell(new RemoveRoutee(Routee.FromActorRef(routee)));
        routee.Tell(PoisonPill.Instance);
    }

    // The dispatch stage says where it is once it runs; a command given before that waits for it.
    private void ToDispatch(IDispatchCommand command)
    {
        if (_dispatch is null)
            _forDispatch.Add(command);
        else
            _dispatch.Tell(command);
    }

    private void Notify<TArg>(Action<TArg>? callback, TArg argument)
    {
        if (callback is null)
            return;
        try
        {
            callback(argument);
        }
        catch (Exception e)
        {
            _log.Error(e, "Pipeline {0}: a callback threw; the pipeline goes on.", _spec.Name);
        }
    }
}
