using ActorPipeline.Internal;
using Akka.Actor;
using Akka.Configuration;

namespace ActorPipeline;

/// <summary>Describes a pipeline — its producers, its consumer and its settings — and starts it.</summary>
public sealed class PipelineBuilder<T>
{
    private static readonly string[] SupportedRouters = ["round-robin-pool", "random-pool", "smallest-mailbox-pool"];

    private readonly ActorSystem _system;
    private readonly List<KeyValuePair<string, Func<CancellationToken, IAsyncEnumerable<T>>>> _sources = [];
    private readonly List<KeyValuePair<string, IActorRef>> _producers = [];
    private Func<IActorRef, PipelineSettings, Props>? _consumer;
    private bool _ownRoutees;
    private bool _delegateHandler;
    private Action<ItemFailure<T>>? _onFailedItem;
    private Action<T, DropReason>? _onDroppedItem;
    private Action<ProducerSummary>? _onProducerStopped;
    private ResultDelivery? _results;
    private BatchLimits? _batches;
    private Func<object>? _orderingKeys;
    private Type? _handlerType;
    private IDurability? _durability;

    internal PipelineBuilder(ActorSystem system, string name, PipelineSettings settings)
    {
        _system = system;
        Name = name;
        Settings = settings;
    }

    /// <summary>The pipeline's name.</summary>
    public string Name { get; }

    /// <summary>The settings the pipeline will start with.</summary>
    public PipelineSettings Settings { get; private set; }

    /// <summary>Replaces the settings.</summary>
    public PipelineBuilder<T> WithSettings(PipelineSettings settings)
    {
        Settings = settings ?? throw new ArgumentNullException(nameof(settings));
        return this;
    }

    /// <summary>Changes the settings, e.g. <c>s => s.WithBufferSize(5)</c>.</summary>
    public PipelineBuilder<T> WithSettings(Func<PipelineSettings, PipelineSettings> configure) => WithSettings(configure(Settings));

    /// <summary>Adds a producer that runs the item source <paramref name="source"/>, named <c>p0</c>, <c>p1</c>, … in order.</summary>
    public PipelineBuilder<T> WithSource(Func<CancellationToken, IAsyncEnumerable<T>> source) =>
        WithSource($"p{_sources.Count}", source);

    /// <summary>Adds a producer named <paramref name="name"/> that runs the item source <paramref name="source"/>.</summary>
    /// <remarks>The source is pulled only while the producer has credit; the token is cancelled when the producer stops early.</remarks>
    public PipelineBuilder<T> WithSource(string name, Func<CancellationToken, IAsyncEnumerable<T>> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (string.IsNullOrWhiteSpace(name) || !ActorPath.IsValidPathElement($"producer-{name}"))
            throw new ArgumentException($"'{name}' is not a valid producer name; use letters, digits and -_.", nameof(name));
        if (_sources.Any(s => s.Key == name) || _producers.Any(p => p.Key == name))
            throw new ArgumentException($"A producer named '{name}' was added already.", nameof(name));
        _sources.Add(new(name, source));
        return this;
    }

    /// <summary>Adds an existing actor as a producer, named by its actor's name: it receives <see cref="ProducerRegistered"/> when the pipeline starts.</summary>
    public PipelineBuilder<T> WithProducer(IActorRef producer) =>
        WithProducer((producer ?? throw new ArgumentNullException(nameof(producer))).Path.Name, producer);

    /// <summary>Adds an existing actor as a producer named <paramref name="name"/> in status, callbacks and the report.</summary>
    public PipelineBuilder<T> WithProducer(string name, IActorRef producer)
    {
        ArgumentNullException.ThrowIfNull(producer);
        if (string.IsNullOrWhiteSpace(name))
            throw new ArgumentException("A producer's name cannot be empty.", nameof(name));
        if (_sources.Any(s => s.Key == name) || _producers.Any(p => p.Key == name))
            throw new ArgumentException($"A producer named '{name}' was added already.", nameof(name));
        _producers.Add(new(name, producer));
        return this;
    }

    /// <summary>Handles each item with an asynchronous delegate (local to this process).</summary>
    public PipelineBuilder<T> WithHandler(Func<T, CancellationToken, ValueTask> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        WithConsumer((pipeline, settings) => ConsumerRoutee<T>.PropsFor(() => ItemInvoker<T>.For(new DelegateHandler<T>(handler)), pipeline, settings));
        _delegateHandler = true;
        return this;
    }

    /// <summary>Handles each item with a synchronous delegate (local to this process).</summary>
    public PipelineBuilder<T> WithHandler(Action<T> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return WithHandler((item, _) =>
        {
            handler(item);
            return ValueTask.CompletedTask;
        });
    }

    /// <summary>Handles items with <typeparamref name="THandler"/>, created once per routee (props are plain data, fit for remote deployment).</summary>
    public PipelineBuilder<T> WithHandler<THandler>() where THandler : IItemHandler<T>, new()
    {
        WithConsumer((pipeline, settings) => ConsumerRoutee<T>.PropsFor(RouteeSettings.For(typeof(THandler), pipeline, settings)));
        _handlerType = typeof(THandler);
        return this;
    }

    /// <summary>Handles each item with an asynchronous delegate that returns a result, and calls <paramref name="onResult"/>
    /// with the result of every item that succeeds, on the pipeline's actor (local to this process).</summary>
    public PipelineBuilder<T> WithHandler<TResult>(Func<T, CancellationToken, ValueTask<TResult>> handler, Action<TResult> onResult)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(onResult);
        WithConsumer((pipeline, settings) => ConsumerRoutee<T>.PropsFor(() => new ResultInvoker<T, TResult>(new DelegateHandler<T, TResult>(handler)), pipeline, settings));
        _delegateHandler = true;
        _results = new ResultDelivery<TResult>(onResult);
        return this;
    }

    /// <summary>Handles each item with a synchronous delegate that returns a result, and calls <paramref name="onResult"/>
    /// with the result of every item that succeeds, on the pipeline's actor (local to this process).</summary>
    public PipelineBuilder<T> WithHandler<TResult>(Func<T, TResult> handler, Action<TResult> onResult)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return WithHandler((item, _) => ValueTask.FromResult(handler(item)), onResult);
    }

    /// <summary>Handles items with <typeparamref name="THandler"/>, created once per routee, and calls <paramref name="onResult"/>
    /// with the result of every item that succeeds, on the pipeline's actor.</summary>
    public PipelineBuilder<T> WithHandler<THandler, TResult>(Action<TResult> onResult) where THandler : IItemHandler<T, TResult>, new()
    {
        ArgumentNullException.ThrowIfNull(onResult);
        WithConsumer((pipeline, settings) => ConsumerRoutee<T>.PropsFor(RouteeSettings.For(typeof(THandler), pipeline, settings)));
        _results = new ResultDelivery<TResult>(onResult);
        _handlerType = typeof(THandler);
        return this;
    }

    /// <summary>Handles items a batch at a time with an asynchronous delegate (local to this process): up to
    /// <paramref name="maxItems"/> items, or fewer once the oldest has waited <paramref name="maxWait"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxItems"/> not within 1 .. 65536, or
    /// <paramref name="maxWait"/> not greater than zero.</exception>
    public PipelineBuilder<T> WithBatchHandler(Func<Batch<T>, CancellationToken, ValueTask> handler, int maxItems, TimeSpan maxWait)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var limits = Limits(maxItems, maxWait);
        WithConsumer((pipeline, settings) => ConsumerRoutee<T>.PropsFor(() => ItemInvoker<T>.For(new DelegateBatchHandler<T>(handler)), pipeline, settings));
        _delegateHandler = true;
        _batches = limits;
        return this;
    }

    /// <summary>Handles items a batch at a time with <typeparamref name="THandler"/>, created once per routee (props are
    /// plain data, fit for remote deployment): up to <paramref name="maxItems"/> items, or fewer once the oldest has
    /// waited <paramref name="maxWait"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxItems"/> not within 1 .. 65536, or
    /// <paramref name="maxWait"/> not greater than zero.</exception>
    public PipelineBuilder<T> WithBatchHandler<THandler>(int maxItems, TimeSpan maxWait) where THandler : IBatchHandler<T>, new()
    {
        var limits = Limits(maxItems, maxWait);
        WithConsumer((pipeline, settings) => ConsumerRoutee<T>.PropsFor(RouteeSettings.For(typeof(THandler), pipeline, settings)));
        _batches = limits;
        _handlerType = typeof(THandler);
        return this;
    }

    private static BatchLimits Limits(int maxItems, TimeSpan maxWait)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxItems, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxItems, 1 << 16);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxWait, TimeSpan.Zero);
        return new BatchLimits(maxItems, maxWait);
    }

    /// <summary>Uses the application's own actor as the routee; it must answer each <see cref="ConsumeChunk{T}"/> with a <see cref="ChunkConsumed"/>.</summary>
    public PipelineBuilder<T> WithConsumerProps(Props props)
    {
        ArgumentNullException.ThrowIfNull(props);
        return WithConsumer((_, _) => props, ownRoutees: false);
    }

    /// <summary>Handles items with the same key one at a time, in the order they entered the pipeline (so in the order each
    /// producer sent them), and items of different keys in parallel over every consumer.</summary>
    /// <remarks><paramref name="key"/> runs on the pipeline's stream a few times per item and try: keep it quick and pure.
    /// Keys are compared with the default equality of <typeparamref name="TKey"/>.</remarks>
    public PipelineBuilder<T> WithOrderingKey<TKey>(Func<T, TKey> key) where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(key);
        _orderingKeys = () => new OrderingKeys<T, TKey>(key);
        return this;
    }

    /// <summary>Calls back with results and failures in the order the items entered the pipeline (so in the order each
    /// producer sent them), while they are still handled in parallel: <c>WithSettings(s =&gt; s.WithResultsInOrder())</c>.</summary>
    public PipelineBuilder<T> WithResultsInOrder() => WithSettings(s => s.WithResultsInOrder());

    /// <summary>Called, on the pipeline's actor, for every item that fails after its retries.</summary>
    public PipelineBuilder<T> OnFailedItem(Action<ItemFailure<T>> callback)
    {
        _onFailedItem = callback ?? throw new ArgumentNullException(nameof(callback));
        return this;
    }

    /// <summary>What happens to an item that comes while the capacity is used up: <c>WithSettings(s =&gt; s.WithOverflow(mode))</c>.</summary>
    public PipelineBuilder<T> WithOverflow(OverflowMode mode) => WithSettings(s => s.WithOverflow(mode));

    /// <summary>Called with every item dropped under the overflow mode, and why, at once, where it is dropped: on the
    /// producer's actor or the pipeline's stream, so possibly from several threads at a time; keep it quick.</summary>
    public PipelineBuilder<T> OnDroppedItem(Action<T, DropReason> callback)
    {
        _onDroppedItem = callback ?? throw new ArgumentNullException(nameof(callback));
        return this;
    }

    /// <summary>Called, on the pipeline's actor, when a producer has stopped, with its count and failure.</summary>
    public PipelineBuilder<T> OnProducerStopped(Action<ProducerSummary> callback)
    {
        _onProducerStopped = callback ?? throw new ArgumentNullException(nameof(callback));
        return this;
    }

    /// <summary>Starts the pipeline as the top-level actor <c>/user/{Name}</c>.</summary>
    /// <exception cref="InvalidOperationException">No consumer was given.</exception>
    /// <exception cref="ConfigurationException">The consumer pool's deployment names a router the pipeline cannot use, or a
    /// size chosen in the settings (or a batch handler's batch) does not fit their capacity.</exception>
    public PipelineHandle Start()
    {
        var consumer = _consumer ?? throw new InvalidOperationException(
            $"Pipeline '{Name}' has no consumer: call WithHandler(...) or WithConsumerProps(...) before Start().");
        var remoteRoutees = ValidateDeployment();
        Settings.EnsureFitsCapacity();

        var completion = new TaskCompletionSource<PipelineReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        var capacity = (int)Settings.MaxItemsInFlight(_sources.Count + _producers.Count);
        var counters = new PipelineCounters(Name) { Capacity = capacity, Started = System.Diagnostics.Activity.Current?.Context ?? default };
        if (_batches is { } batches && batches.MaxItems > capacity)
            throw new ConfigurationException(
                $"Pipeline '{Name}': a batch of {batches.MaxItems} items does not fit its capacity of {capacity} ({(Settings.Capacity is null ? "auto" : "set")}); " +
                "the pipeline never holds more than its capacity: give it a capacity of at least the batch, or take smaller batches.");
        var spec = new PipelineRecipe<T>(
            Name, Settings, _sources.ToArray(), _producers.ToArray(), consumer, _ownRoutees, _onFailedItem, _onProducerStopped, completion, counters, capacity,
            _results, remoteRoutees, _batches, _orderingKeys, _onDroppedItem, _durability);
        // What this pipeline may receive from other nodes: its items, its results, its handler (for a pool elsewhere).
        RunningPipelines.For(_system).WireTypes.Declare(typeof(T), _results?.ResultType, _handlerType);
        if (_durability?.Refuses(Settings, _sources.Select(s => s.Key).ToArray(), _producers.Count) is { } refusal)
            throw new InvalidOperationException($"Pipeline '{Name}' cannot be durable: {refusal}");
        IActorRef actor;
        try
        {
            actor = _system.ActorOf(Props.Create(() => new PipelineSupervisor<T>(spec)), Name);
        }
        catch
        {
            _durability?.StartFailed();
            throw;
        }

        var handle = new PipelineHandle(Name, actor, Settings, capacity, counters, completion.Task);
        RunningPipelines.For(_system).Track(handle);
        PipelineMetrics.Observe(counters, handle.Completion);
        return handle;
    }

    /// <summary>Makes the pipeline durable (the durability package's extensions call this).</summary>
    internal PipelineBuilder<T> WithDurability(IDurability durability)
    {
        if (_durability is not null)
            throw new InvalidOperationException($"Pipeline '{Name}' is durable already; give its durability once.");
        _durability = durability;
        return this;
    }

    /// <summary>The durability given, if any.</summary>
    internal IDurability? Durability => _durability;

    /// <summary>How many sources were added so far: the next one's index among them.</summary>
    internal int SourceCount => _sources.Count;

    /// <summary>The actor system the pipeline starts in.</summary>
    internal ActorSystem ActorSystem => _system;

    private PipelineBuilder<T> WithConsumer(Func<IActorRef, PipelineSettings, Props> consumer, bool ownRoutees = true)
    {
        if (_consumer is not null)
            throw new InvalidOperationException($"Pipeline '{Name}' already has a consumer; give exactly one.");
        _consumer = consumer;
        _ownRoutees = ownRoutees;
        return this;
    }

    // The pool is created with the actor name "consumers", so `akka.actor.deployment."/<name>/consumers"` configures it
    // (wildcards included, as the deployer matches them). Returns whether that deployment puts routees on other nodes.
    private bool ValidateDeployment()
    {
        var provider = ((ExtendedActorSystem)_system).Provider;
        var deploy = provider.Deployer.Lookup(new RootActorPath(provider.DefaultAddress) / "user" / Name / "consumers");
        if (deploy is null)
            return false;
        var key = $"akka.actor.deployment.\"/{Name}/consumers\"";
        var router = deploy.Config.GetString("router", "from-code");
        if (router != "from-code" && !SupportedRouters.Contains(router))
            throw new ConfigurationException(
                $"{key}.router = {router} is not supported; allowed: {string.Join(", ", SupportedRouters)} (a pool that gives each chunk to exactly one routee).");

        var remote = deploy.Scope is RemoteScope
            || deploy.Config.GetBoolean("cluster.enabled", false)
            || !string.IsNullOrEmpty(deploy.Config.GetString("remote", string.Empty))
            || deploy.Config.GetStringList("target.nodes", []).Count > 0;
        if (remote && _delegateHandler)
            throw new ConfigurationException(
                $"Pipeline '{Name}': {key} deploys the consumers on other nodes, and a delegate handler cannot travel to them. " +
                "Use WithHandler<THandler>() or WithHandler<THandler, TResult>(onResult) with a handler type that has a public parameterless constructor.");
        return remote;
    }
}
