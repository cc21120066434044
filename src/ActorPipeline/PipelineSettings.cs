using Akka.Actor;
using Akka.Configuration;

namespace ActorPipeline;

/// <summary>Immutable, validated settings of one pipeline, read from the <c>actor-pipeline</c> HOCON section.</summary>
/// <remarks>
/// Every default lives in the library's <c>reference.conf</c>; every key is defined once, in <see cref="Keys"/>'s
/// table, from which reading, checking and error messages follow. A value read from configuration is checked when the
/// settings are read, a value given to a <c>With…</c> method when it is given; whether the sizes fit the
/// <see cref="Capacity"/> is checked when the pipeline starts, since a chain of <c>With…</c> calls may pass through a
/// combination that does not fit on its way to one that does.
/// </remarks>
public sealed partial record PipelineSettings
{
    /// <summary>The HOCON section that holds the settings.</summary>
    public const string Section = "actor-pipeline";

    /// <summary>The largest capacity a pipeline accepts.</summary>
    public const int MaxCapacity = 1 << 24;

    /// <summary>The dispatcher the routees run on with <see cref="BlockingHandlers"/>: a thread per routee.</summary>
    public const string BlockingDispatcher = Section + ".blocking-dispatcher";

    // The sizes as set (null: auto, derived from the capacity, or from auto-sizes when the capacity is auto too).
    private int? _bufferSize;
    private int? _producerCredit;
    private int? _chunkSize;
    private AutoSizes _auto;
    private Backoff _backoff;
    private int? _rateBurst;

    // Where each key was read from, for error messages: the pipeline's own section or the common one.
    // Kept as text so that two settings read alike are equal.
    private string _ownSection = Section;
    private string _ownKeys = "";

    private PipelineSettings()
    {
    }

    /// <summary>The most items in the pipeline at once, from every producer together; <c>null</c> (<c>auto</c>) sizes it from the other settings.</summary>
    /// <remarks>
    /// An item counts from the moment a producer may send it until its outcome is known. With a capacity, the buffer,
    /// the credit and the chunk size left <c>auto</c> are derived from it (see the README).
    /// </remarks>
    public int? Capacity { get; private init; }

    /// <summary>Capacity of the queue in items; when it is full, producers wait.</summary>
    public int BufferSize => _bufferSize ?? (Capacity is { } n ? Math.Min(n, BufferSizeKey.Max) : _auto.BufferSize);

    /// <summary>Credit a producer holds at most at once: items it may send before it is granted more.</summary>
    public int ProducerCredit => _producerCredit ?? (Capacity is { } n ? DerivedChunk(n) : _auto.ProducerCredit);

    /// <summary>Largest number of items moved together inside the pipeline.</summary>
    public int ChunkSize => _chunkSize ?? (Capacity is { } n ? DerivedChunk(n) : _auto.ChunkSize);

    /// <summary>Routees of the default round-robin consumer pool.</summary>
    public int Consumers { get; private init; }

    /// <summary>The most chunks at consumers at once; <c>null</c> (<c>auto</c>) means no limit beyond the routees' own (each holds at most two).</summary>
    public int? Parallelism { get; private init; }

    /// <summary>Retries of an item whose handler failed, before the item counts as failed.</summary>
    public int MaxRetries { get; private init; }

    /// <summary>How often an item is sent again because the consumer holding it was lost (its node left or died) after it
    /// may have begun the item, before the item fails; such a delivery spends none of <see cref="MaxRetries"/>.</summary>
    public int MaxRedeliveries { get; private init; }

    /// <summary>How long a failed item waits before it is tried again, or <c>null</c> (<c>off</c>): it is tried again at once,
    /// by the consumer that had it.</summary>
    /// <remarks>With a backoff, an item that fails waits in the pipeline, not at a consumer, holding its place in the
    /// capacity; its consumer goes on with other items.</remarks>
    public RetryBackoff? RetryBackoff => _backoff.Min is { } min ? new RetryBackoff(min, _backoff.Max, _backoff.Factor, _backoff.Jitter) : null;

    /// <summary>The most items handlers start per second, across the whole consumer pool (on every node), or <c>null</c> (<c>off</c>): no limit.</summary>
    public int? MaxRate { get; private init; }

    /// <summary>How many items may start at once after a quiet spell under <see cref="MaxRate"/>: as set, or (<c>auto</c>) a
    /// tenth of a second's worth, at least 1.</summary>
    public int MaxRateBurst => _rateBurst ?? Math.Max(1, (MaxRate ?? 0) / 10);

    /// <summary>Whether results and failures reach their callbacks in the order the items entered the pipeline (so in the
    /// order each producer sent them), while the items are still handled in parallel.</summary>
    /// <remarks>An item done before an earlier one waits for it, holding its place in the capacity.</remarks>
    public bool ResultsInOrder { get; private init; }

    /// <summary>What happens to an item that comes while the capacity is used up: the producer waits
    /// (<see cref="OverflowMode.Backpressure"/>), an item is dropped, or the pipeline fails.</summary>
    public OverflowMode Overflow { get; private init; }

    /// <summary>Longest time one item may spend in its handler.</summary>
    public TimeSpan ConsumerTimeout { get; private init; }

    /// <summary>Default deadline for draining or aborting a running pipeline.</summary>
    public TimeSpan StopTimeout { get; private init; }

    /// <summary>Failed items the report keeps with item and exception; further failures are only counted.</summary>
    public int MaxReportedFailures { get; private init; }

    /// <summary>Whether the pipeline keeps running with no producer alive, for producer actors still to register; it then
    /// ends only when drained or aborted.</summary>
    public bool KeepAlive { get; private init; }

    /// <summary>Whether each consumer routee runs on a thread of its own, for handlers that block (synchronous I/O, a
    /// legacy driver): N consumers then run N blocking handlers at once, on none of the thread pool's threads.</summary>
    public bool BlockingHandlers { get; private init; }

    /// <summary>Items offered to the queue at once: the chunk size, but never more than the buffer holds.</summary>
    internal int OfferSize => Math.Min(ChunkSize, BufferSize);

    /// <summary>The parallelism term of the <c>auto</c> capacity: <see cref="Parallelism"/>, or 2 × <see cref="Consumers"/> (at most the capacity).</summary>
    internal int ParallelismBound => Parallelism ?? (Capacity is { } n ? Math.Min(2 * Consumers, n) : 2 * Consumers);

    /// <summary>The most items a pipeline started with <paramref name="producers"/> producers holds at once: its capacity,
    /// or for <c>auto</c> <c>max(1, P) × producer-credit + buffer-size + (parallelism + 1) × chunk-size + offer size</c>.</summary>
    internal long MaxItemsInFlight(int producers) =>
        Capacity ?? Math.Min(MaxCapacity,
            (long)Math.Max(1, producers) * ProducerCredit + BufferSize + (long)(ParallelismBound + 1) * ChunkSize + OfferSize);

    /// <summary>The library's defaults, as written in its <c>reference.conf</c>.</summary>
    /// <remarks>Parsed once: every pipeline's settings read them, and parsing HOCON is a noticeable part of a short process's start.</remarks>
    public static Config DefaultConfig() => Defaults.Value;

    private static readonly Lazy<Config> Defaults = new(() => ConfigurationFactory.FromResource<PipelineSettings>("ActorPipeline.reference.conf"));

    /// <summary>Reads the settings of the pipeline <paramref name="pipelineName"/> from an ActorSystem's configuration.</summary>
    public static PipelineSettings Create(ActorSystem system, string pipelineName) =>
        Create(system.Settings.Config, pipelineName);

    /// <summary>Reads the common settings from <paramref name="config"/>.</summary>
    /// <exception cref="ConfigurationException">A value is missing, malformed or out of range; the message names key, value and range.</exception>
    public static PipelineSettings Create(Config config) => Create(config, null);

    /// <summary>A copy with another <see cref="Capacity"/>, from which buffer, credit and chunk size are derived again;
    /// choose one of them with its <c>With…</c> method after this. <c>null</c> (<c>auto</c>) sizes the pipeline from the
    /// other settings.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not within 1 .. <see cref="MaxCapacity"/>.</exception>
    public PipelineSettings WithCapacity(int? items) => items is null
        ? this with { Capacity = null }
        : this with { Capacity = Given(CapacityKey, items.Value, nameof(items)), _bufferSize = null, _producerCredit = null, _chunkSize = null, Parallelism = null };

    /// <summary>A copy with another <see cref="BufferSize"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not within 1 .. 1048576.</exception>
    public PipelineSettings WithBufferSize(int items) => this with { _bufferSize = Given(BufferSizeKey, items, nameof(items)) };

    /// <summary>A copy with another <see cref="ProducerCredit"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not within 1 .. 1048576.</exception>
    public PipelineSettings WithProducerCredit(int items) => this with { _producerCredit = Given(ProducerCreditKey, items, nameof(items)) };

    /// <summary>A copy with another <see cref="ChunkSize"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not within 1 .. 65536.</exception>
    public PipelineSettings WithChunkSize(int items) => this with { _chunkSize = Given(ChunkSizeKey, items, nameof(items)) };

    /// <summary>A copy with another <see cref="Consumers"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not within 1 .. 4096.</exception>
    public PipelineSettings WithConsumers(int routees) => this with { Consumers = Given(ConsumersKey, routees, nameof(routees)) };

    /// <summary>A copy with another <see cref="Parallelism"/>; <c>null</c> is <c>auto</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not within 1 .. 65536.</exception>
    public PipelineSettings WithParallelism(int? chunks) =>
        this with { Parallelism = chunks is { } n ? Given(ParallelismKey, n, nameof(chunks)) : null };

    /// <summary>A copy with another <see cref="MaxRetries"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not within 0 .. 100.</exception>
    public PipelineSettings WithMaxRetries(int retries) => this with { MaxRetries = Given(MaxRetriesKey, retries, nameof(retries)) };

    /// <summary>A copy with another <see cref="MaxRedeliveries"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not within 0 .. 100.</exception>
    public PipelineSettings WithMaxRedeliveries(int redeliveries) =>
        this with { MaxRedeliveries = Given(MaxRedeliveriesKey, redeliveries, nameof(redeliveries)) };

    /// <summary>A copy in which a failed item waits before each retry: <paramref name="min"/> before the first, growing by
    /// <paramref name="factor"/> up to <paramref name="max"/>, each wait lengthened by a random part of up to
    /// <paramref name="jitter"/> of it; <c>null</c> keeps the value configured. <paramref name="min"/> <c>null</c> turns the
    /// backoff off (retries at once).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A duration not greater than zero, <paramref name="max"/> below
    /// <paramref name="min"/>, a factor outside 1 .. 100 or a jitter outside 0 .. 1.</exception>
    public PipelineSettings WithRetryBackoff(TimeSpan? min, TimeSpan? max = null, double? factor = null, double? jitter = null)
    {
        var backoff = new Backoff(
            min is { } first ? Given(RetryBackoffMinKey, first, nameof(min)) : null,
            max is { } last ? Given(RetryBackoffMaxKey, last, nameof(max)) : _backoff.Max,
            factor is { } f ? Given(RetryBackoffFactorKey, f, nameof(factor)) : _backoff.Factor,
            jitter is { } j ? Given(RetryBackoffJitterKey, j, nameof(jitter)) : _backoff.Jitter);
        if (backoff.Min > backoff.Max)
            throw new ArgumentOutOfRangeException(max is null ? nameof(min) : nameof(max), BackoffOrderMessage(backoff));
        return this with { _backoff = backoff };
    }

    /// <summary>A copy in which handlers start at most <paramref name="itemsPerSecond"/> items a second across the pool,
    /// with bursts of up to <paramref name="burst"/> (<c>null</c>: <c>auto</c>); <paramref name="itemsPerSecond"/>
    /// <c>null</c> turns the limit off.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not within 1 .. 1000000000.</exception>
    public PipelineSettings WithMaxRate(int? itemsPerSecond, int? burst = null) => this with
    {
        MaxRate = itemsPerSecond is { } rate ? Given(MaxRateKey, rate, nameof(itemsPerSecond)) : null,
        _rateBurst = burst is { } b ? Given(MaxRateBurstKey, b, nameof(burst)) : null,
    };

    /// <summary>A copy with another <see cref="ConsumerTimeout"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not greater than zero.</exception>
    public PipelineSettings WithConsumerTimeout(TimeSpan timeout) => this with { ConsumerTimeout = Given(ConsumerTimeoutKey, timeout, nameof(timeout)) };

    /// <summary>A copy with another <see cref="StopTimeout"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not greater than zero.</exception>
    public PipelineSettings WithStopTimeout(TimeSpan timeout) => this with { StopTimeout = Given(StopTimeoutKey, timeout, nameof(timeout)) };

    /// <summary>A copy that calls back with results and failures in the order the items entered the pipeline, or as they
    /// come (<see cref="ResultsInOrder"/>).</summary>
    public PipelineSettings WithResultsInOrder(bool inOrder = true) => this with { ResultsInOrder = inOrder };

    /// <summary>A copy with another <see cref="Overflow"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined mode.</exception>
    public PipelineSettings WithOverflow(OverflowMode mode) => Enum.IsDefined(mode)
        ? this with { Overflow = mode }
        : throw new ArgumentOutOfRangeException(nameof(mode), $"{PathOf(OverflowKey)} = {(int)mode} is not a mode; allowed: {OverflowKey.Allowed}.");

    /// <summary>A copy that keeps running with no producer alive, or not (<see cref="KeepAlive"/>).</summary>
    public PipelineSettings WithKeepAlive(bool keepAlive) => this with { KeepAlive = keepAlive };

    /// <summary>A copy whose routees run on threads of their own, or not (<see cref="BlockingHandlers"/>).</summary>
    public PipelineSettings WithBlockingHandlers(bool blocking) => this with { BlockingHandlers = blocking };

    /// <summary>A copy with another <see cref="MaxReportedFailures"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not within 0 .. 1048576.</exception>
    public PipelineSettings WithMaxReportedFailures(int failures) =>
        this with { MaxReportedFailures = Given(MaxReportedFailuresKey, failures, nameof(failures)) };

    /// <summary>Checks that every size set fits the capacity; the pipeline does this when it starts.</summary>
    /// <exception cref="ConfigurationException">A size set is larger than the capacity; the message names both keys and values.</exception>
    internal PipelineSettings EnsureFitsCapacity()
    {
        if (Capacity is not { } capacity)
            return this;
        foreach (var (key, value) in new[] { (BufferSizeKey, _bufferSize), (ProducerCreditKey, _producerCredit), (ChunkSizeKey, _chunkSize) })
        {
            if (value > capacity)
                throw new ConfigurationException(
                    $"{PathOf(key)} = {value} does not fit {PathOf(CapacityKey)} = {capacity}: the pipeline never holds more than its capacity, " +
                    $"so {key.Name} can be at most {capacity}; lower it, or leave it auto and it is derived from the capacity.");
        }

        return this;
    }

    // A chunk per consumer, so that every consumer has work: each hop costs microseconds, so a chunk of the whole
    // capacity beats smaller ones below 8 items a consumer, and beyond 256 items bigger chunks save nothing measurable.
    private int DerivedChunk(int capacity) => Math.Min(Math.Min(capacity, 256), Math.Max(8, capacity / Consumers));

    private string PathOf(Key key) => _ownKeys.Split(',').Contains(key.Name) ? $"{_ownSection}.{key.Name}" : $"{Section}.{key.Name}";

    private TValue Given<TValue>(Key key, TValue value, string paramName) =>
        key.Check(value, message => new ArgumentOutOfRangeException(paramName, $"{PathOf(key)} {message}"));

    private PipelineSettings EnsureBackoffOrdered() =>
        _backoff.Min > _backoff.Max ? throw new ConfigurationException(BackoffOrderMessage(_backoff)) : this;

    private string BackoffOrderMessage(Backoff backoff) =>
        $"{PathOf(RetryBackoffMinKey)} = {backoff.Min} is longer than {PathOf(RetryBackoffMaxKey)} = {backoff.Max}; the first wait cannot be longer than the longest.";

    /// <summary>The retry backoff as configured; <see cref="Min"/> null is off, the rest kept for when it is turned on.</summary>
    private readonly record struct Backoff(TimeSpan? Min, TimeSpan Max, double Factor, double Jitter);

    /// <summary>The sizes of a pipeline whose capacity is <c>auto</c>, for the sizes left <c>auto</c> as well.</summary>
    private readonly record struct AutoSizes(int BufferSize, int ProducerCredit, int ChunkSize);
}
