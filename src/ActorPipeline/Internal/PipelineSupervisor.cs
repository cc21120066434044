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
internal sealed class PipelineSupervisor<T> : ReceiveActor, IWithTimers
{
    private sealed class ProducerEntry(string name)
    {
        public string Name { get; } = name;
        public long Produced { get; set; }
        public Exception? Failure { get; set; }
        public bool Alive { get; set; } = true;
        public bool Child { get; init; }
    }

    private readonly PipelineSpec<T> _spec;
    private readonly PipelineSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _abort = new();
    private readonly Dictionary<IActorRef, ProducerEntry> _producers = new();
    private readonly List<ProducerEntry> _producerOrder = [];
    private readonly Dictionary<string, long> _processed = new();
    private readonly List<ItemFailure> _failures = [];
    private IActorRef _pool = ActorRefs.Nobody;
    private IActorRef _gateway = ActorRefs.Nobody;
    private UniqueKillSwitch? _killSwitch;
    private IDisposable? _stream;
    private PipelineState _state = PipelineState.Running;
    private PipelineOutcome _outcome = PipelineOutcome.Completed;
    private int _alive;
    private readonly PipelineCounters _counters;
    private bool _streamDone;
    private bool _gatewayDone;

    public PipelineSupervisor(PipelineSpec<T> spec)
    {
        _spec = spec;
        _settings = spec.Settings;
        _counters = spec.Counters;

        Receive<RegisterProducer>(_ => OnRegister());
        Receive<ProducerFailed>(f => FailureOf(Sender, f.Cause));
        Receive<ProducerDetached>(OnProducerDetached);
        Receive<Terminated>(OnTerminated);
        Receive<StreamInit>(_ => Sender.Tell(StreamAck.Instance));
        Receive<OutcomeBatch>(batch =>
        {
            foreach (var outcome in batch.Outcomes)
                Aggregate(outcome);
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
        Receive<GetStatus>(_ => Sender.Tell(Status()));
        Receive<StopPipeline>(OnStop);
        Receive<StopDeadlinePassed>(_ => Abandon());
        Receive<DeadLetter>(OnDeadLetter);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    // Producers stop: restarting one would run its source again from the start and duplicate its items.
    // The gateway and the pool stop too: neither's state (credits, in-flight chunks) can be rebuilt, and the
    // supervisor turns their termination into a faulted report instead of running on without them.
    // Routees are supervised by the pool, with RouteeStrategy below, not here.
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(DeadLetter));
        var routee = _spec.ConsumerProps(Self, _settings);
        var pool = new RoundRobinPool(_settings.Consumers).WithSupervisorStrategy(RouteeStrategy);
        _pool = Context.Watch(Context.ActorOf(routee.WithRouter(pool), "consumers"));

        (var queue, var feed, _killSwitch, _stream) = PipelineStream<T>.Run(_settings, _pool, Self, _counters, _abort.Token, Context.Materializer());
        _gateway = Context.Watch(Context.ActorOf(
            Props.Create(() => new QueueGateway<T>(queue, feed, Self, _settings.EffectiveChunkSize, _settings.ProducerCredit)),
            "gateway"));

        foreach (var (name, source) in _spec.Sources)
        {
            var producer = Context.ActorOf(
                Props.Create(() => new SourceProducer<T>(source, _settings.ChunkSize)), $"producer-{name}");
            Register(producer, name, child: true);
        }

        foreach (var producer in _spec.Producers)
            Register(producer, producer.Path.Name, child: false);

        if (_alive == 0)
            BeginDraining();
    }

    // A routee that throws outside its handler is restarted (it answers for its chunks first); one that cannot
    // even create its handler is stopped, since a restart would fail the same way.
    private static readonly SupervisorStrategy RouteeStrategy =
        new OneForOneStrategy(e => e is ActorInitializationException ? Directive.Stop : Directive.Restart);

    private void OnRegister()
    {
        if (_state != PipelineState.Running)
        {
            Sender.Tell(new ProducerRejected($"Pipeline '{_spec.Name}' is {_state.ToString().ToLowerInvariant()}; it accepts no new producers."));
            return;
        }

        if (_producers.ContainsKey(Sender))
            Sender.Tell(new ProducerRegistered(_gateway, _settings.ProducerCredit));
        else
            Register(Sender, Sender.Path.Name, child: false);
    }

    private void Register(IActorRef producer, string name, bool child)
    {
        var entry = new ProducerEntry(name) { Child = child };
        _producers.Add(producer, entry);
        _producerOrder.Add(entry);
        _alive++;
        Context.Watch(producer);

        // Attach reaches the gateway before anything the producer sends, which it can only do once it has this answer.
        _gateway.Tell(new Attach(producer));
        producer.Tell(new ProducerRegistered(_gateway, _settings.ProducerCredit));
    }

    private void OnTerminated(Terminated terminated)
    {
        var actor = terminated.ActorRef;
        if (_producers.ContainsKey(actor))
        {
            ProducerGone(actor);
        }
        else if (actor.Equals(_pool))
        {
            Fault("The consumer pool stopped: no routee is left to process items.", null);
        }
        else if (actor.Equals(_gateway) && !_gatewayDone)
        {
            Fault("The queue gateway stopped unexpectedly.", null);
        }
    }

    // A producer is gone when it stops, or when a drain or abort lets it go: what it sends after that is refused.
    private void ProducerGone(IActorRef producer)
    {
        var entry = _producers[producer];
        if (!entry.Alive)
            return;
        entry.Alive = false;
        _alive--;
        _gateway.Tell(new Detach(producer));
        if (_alive == 0)
            BeginDraining();
    }

    // A chunk routed to a routee that has just stopped ends in dead letters, unseen by any handler. Answering for it
    // at once lets the stream send it again now, instead of waiting out the ask's deadline.
    private void OnDeadLetter(DeadLetter dead)
    {
        if (dead.Message is ConsumeChunk<T> work && _pool.Path.Equals(dead.Recipient.Path.Parent))
        {
            dead.Sender.Tell(new ChunkConsumed(work.ChunkId, string.Empty, 0, [], 0,
                new ActorKilledException($"Consumer {dead.Recipient.Path.Name} stopped before the chunk reached it."),
                InterruptedItemStarted: false));
        }
    }

    private void OnProducerDetached(ProducerDetached detached)
    {
        if (!_producers.TryGetValue(detached.Producer, out var entry))
            return;
        entry.Produced = detached.Produced;
        Notify(_spec.OnProducerStopped, new ProducerSummary(entry.Name, entry.Produced, entry.Failure));
    }

    private void FailureOf(IActorRef producer, Exception cause)
    {
        if (_producers.TryGetValue(producer, out var entry))
            entry.Failure = cause;
    }

    private void BeginDraining()
    {
        if (_state == PipelineState.Running)
            _state = PipelineState.Draining;
        _gateway.Tell(CompleteWhenIdle.Instance);
    }

    private void Aggregate(ChunkOutcome outcome)
    {
        _counters.AddOutcomes(outcome.Succeeded, outcome.Failures.Count, outcome.Retried);
        for (var i = 0; i < outcome.ProcessedByConsumer.Count; i++)
        {
            var (consumer, count) = outcome.ProcessedByConsumer[i];
            _processed[consumer] = _processed.GetValueOrDefault(consumer) + count;
        }

        foreach (var failure in outcome.Failures)
        {
            if (_failures.Count < _settings.MaxReportedFailures)
                _failures.Add(failure);
            Notify(_spec.OnFailedItem, failure);
        }
    }

    private void OnStop(StopPipeline stop)
    {
        if (_state == PipelineState.Completed)
            return;

        if (stop.Abort)
        {
            _outcome = PipelineOutcome.Aborted;
            _state = PipelineState.Aborting;
            _abort.Cancel();
        }
        else if (_outcome != PipelineOutcome.Aborted)
        {
            _outcome = PipelineOutcome.Drained;
            if (_state == PipelineState.Running)
                _state = PipelineState.Draining;
        }

        // Source producers are stopped: what they sent before stopping is still processed. Registered actors are
        // told to stop and let go at once, so the pipeline does not wait on an actor it does not own; items they
        // send from now on are refused (and they are told so).
        var reason = $"Pipeline '{_spec.Name}' is {(stop.Abort ? "aborting" : "draining")}; send no more items.";
        foreach (var (producer, entry) in _producers.ToArray())
        {
            if (!entry.Alive)
                continue;
            if (entry.Child)
            {
                Context.Stop(producer);
            }
            else
            {
                producer.Tell(new StopProducing(reason));
                ProducerGone(producer);
            }
        }

        Timers.StartSingleTimer(StopDeadlinePassed.Instance, StopDeadlinePassed.Instance, stop.Deadline);
    }

    // The stop deadline passed with items still in flight: end the run now and count those items as failed.
    private void Abandon()
    {
        if (_state == PipelineState.Completed)
            return;
        _killSwitch?.Shutdown();
        var abandoned = _counters.InFlight;
        _counters.AddOutcomes(0, abandoned, 0);
        _log.Warning("Pipeline {0}: stop deadline passed with {1} items unfinished; they are counted as failed.", _spec.Name, abandoned);
        Finish(Report(_outcome, abandoned));
    }

    private void TryComplete()
    {
        if (_streamDone && _gatewayDone)
            Finish(Report(_outcome, abandoned: 0));
    }

    private void Fault(string message, Exception? cause)
    {
        if (_state == PipelineState.Completed)
            return;
        _log.Error(cause, "Pipeline {0}: {1}", _spec.Name, message);
        var report = Report(PipelineOutcome.Faulted, abandoned: 0);
        _state = PipelineState.Completed;
        PipelineMetrics.Forget(_counters);
        _spec.Completion.TrySetException(new PipelineFaultedException($"Pipeline '{_spec.Name}' faulted: {message}", report, cause));
        Context.Stop(Self);
    }

    private void Finish(PipelineReport report)
    {
        _state = PipelineState.Completed;
        PipelineMetrics.Forget(_counters);
        _spec.Completion.TrySetResult(report);
        Context.Stop(Self);
    }

    protected override void PostStop()
    {
        _stream?.Dispose();
        _abort.Cancel();
        _abort.Dispose();
        if (_state != PipelineState.Completed)
        {
            PipelineMetrics.Forget(_counters);
            var report = Report(PipelineOutcome.Faulted, abandoned: 0);
            _spec.Completion.TrySetException(new PipelineFaultedException(
                $"Pipeline '{_spec.Name}' was stopped before it completed (its actor was stopped or the ActorSystem terminated).",
                report, null));
        }
    }

    private PipelineStatus Status() => new(
        _spec.Name, _state, _counters.Produced, _counters.Succeeded, _counters.Failed, _counters.Retried, _counters.InFlight, _alive)
    {
        ProcessedByConsumer = new Dictionary<string, long>(_processed),
        Elapsed = _clock.Elapsed,
    };

    private PipelineReport Report(PipelineOutcome outcome, long abandoned) => new()
    {
        Name = _spec.Name,
        Outcome = outcome,
        Produced = _counters.Produced,
        Succeeded = _counters.Succeeded,
        Failed = _counters.Failed,
        Retried = _counters.Retried,
        Abandoned = abandoned,
        Producers = _producerOrder.Select(p => new ProducerSummary(p.Name, p.Produced, p.Failure)).ToArray(),
        ProcessedByConsumer = new Dictionary<string, long>(_processed),
        Failures = _failures.ToArray(),
        Elapsed = _clock.Elapsed,
    };

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
