using Akka.Actor;
using Akka.Configuration;

namespace ActorPipeline;

/// <summary>Immutable, validated settings of one pipeline, read from the <c>actor-pipeline</c> HOCON section.</summary>
/// <remarks>
/// Every default lives in the library's <c>reference.conf</c>. A value read from configuration is checked when the
/// settings are read, a value given to a <c>With…</c> method when it is given; whether the sizes fit the
/// <see cref="Capacity"/> is checked when the pipeline starts, since a chain of <c>With…</c> calls may pass through a
/// combination that does not fit on its way to one that does.
/// </remarks>
public sealed record PipelineSettings
{
    /// <summary>The HOCON section that holds the settings.</summary>
    public const string Section = "actor-pipeline";

    /// <summary>The largest capacity a pipeline accepts.</summary>
    public const int MaxCapacity = 1 << 24;

    private const int MaxItems = 1 << 20;
    private const int MaxChunk = 1 << 16;

    /// <summary>The four sizes a capacity derives, and which of them were chosen rather than left to their default.</summary>
    [Flags]
    private enum Sizes
    {
        None = 0,
        Buffer = 1,
        Credit = 2,
        Chunk = 4,
        Parallelism = 8,
    }

    private readonly int _bufferSize;
    private readonly int _producerCredit;
    private readonly int _chunkSize;
    private readonly int? _parallelism;
    private readonly Sizes _chosen;

    // Where each key was read from, for error messages: the pipeline's own section or the common one.
    private readonly string _ownSection;
    private readonly IReadOnlySet<string> _ownKeys;

    private PipelineSettings(
        int? capacity, int bufferSize, int producerCredit, int chunkSize, int consumers, int? parallelism, Sizes chosen,
        int maxRetries, int maxRedeliveries, TimeSpan consumerTimeout, TimeSpan stopTimeout, int maxReportedFailures, bool keepAlive, bool blockingHandlers,
        string ownSection, IReadOnlySet<string> ownKeys, Func<string, string, Exception> error)
    {
        KeepAlive = keepAlive;
        BlockingHandlers = blockingHandlers;
        _ownSection = ownSection;
        _ownKeys = ownKeys;
        Capacity = capacity is { } n ? InRange("capacity", n, 1, MaxCapacity, error) : null;
        _bufferSize = InRange("buffer-size", bufferSize, 1, MaxItems, error);
        _producerCredit = InRange("producer-credit", producerCredit, 1, MaxItems, error);
        _chunkSize = InRange("chunk-size", chunkSize, 1, MaxChunk, error);
        Consumers = InRange("consumers", consumers, 1, 4096, error);
        _parallelism = parallelism is { } p ? InRange("parallelism", p, 1, MaxChunk, error) : null;
        _chosen = chosen;
        MaxRetries = InRange("max-retries", maxRetries, 0, 100, error);
        MaxRedeliveries = InRange("max-redeliveries", maxRedeliveries, 0, 100, error);
        ConsumerTimeout = Positive("consumer-timeout", consumerTimeout, error);
        StopTimeout = Positive("stop-timeout", stopTimeout, error);
        MaxReportedFailures = InRange("max-reported-failures", maxReportedFailures, 0, MaxItems, error);
    }

    /// <summary>The most items in the pipeline at once, from every producer together; <c>null</c> (<c>auto</c>) sizes it from the other settings.</summary>
    /// <remarks>
    /// An item counts from the moment a producer may send it until its outcome is known. With a capacity, the buffer,
    /// the credit, the chunk size and the parallelism that were not chosen are derived from it (see the README).
    /// </remarks>
    public int? Capacity { get; }

    /// <summary>Capacity of the queue in items; when it is full, producers wait.</summary>
    public int BufferSize => Derived(Sizes.Buffer) ? Math.Min(Capacity!.Value, MaxItems) : _bufferSize;

    /// <summary>Credit a producer holds at most at once: items it may send before it is granted more.</summary>
    public int ProducerCredit => Derived(Sizes.Credit) ? DerivedChunk(Capacity!.Value) : _producerCredit;

    /// <summary>Largest number of items moved together inside the pipeline.</summary>
    public int ChunkSize => Derived(Sizes.Chunk) ? DerivedChunk(Capacity!.Value) : _chunkSize;

    /// <summary>Routees of the default round-robin consumer pool.</summary>
    public int Consumers { get; private init; }

    /// <summary>The most chunks at consumers at once; <c>null</c> (<c>auto</c>) means no limit beyond the routees' own (each holds at most two).</summary>
    public int? Parallelism => _parallelism;

    /// <summary>Retries of an item whose handler failed, before the item counts as failed.</summary>
    public int MaxRetries { get; private init; }

    /// <summary>How often an item is sent again because the consumer holding it was lost (its node left or died) after it
    /// may have begun the item, before the item fails; such a delivery spends none of <see cref="MaxRetries"/>.</summary>
    public int MaxRedeliveries { get; private init; }

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

    /// <summary>The dispatcher the routees run on with <see cref="BlockingHandlers"/>: a thread per routee.</summary>
    public const string BlockingDispatcher = Section + ".blocking-dispatcher";

    /// <summary>Items offered to the queue at once: <see cref="ChunkSize"/>, but never more than <see cref="BufferSize"/>.</summary>
    public int EffectiveChunkSize => Math.Min(ChunkSize, BufferSize);

    /// <summary>The parallelism term of the <c>auto</c> capacity: <see cref="Parallelism"/>, or 2 × <see cref="Consumers"/> (at most the capacity).</summary>
    public int EffectiveParallelism => _parallelism ?? (Capacity is { } n ? Math.Min(2 * Consumers, n) : 2 * Consumers);

    /// <summary>The most items a pipeline started with <paramref name="producers"/> producers holds at once: its capacity.</summary>
    /// <returns>
    /// <see cref="Capacity"/> when it is set; for <c>auto</c>,
    /// <c>max(1, producers) × producer-credit + buffer-size + (parallelism + 1) × chunk-size + min(chunk-size, buffer-size)</c>.
    /// </returns>
    public long MaxItemsInFlight(int producers) =>
        Capacity ?? Math.Min(MaxCapacity,
            (long)Math.Max(1, producers) * ProducerCredit + BufferSize + (long)(EffectiveParallelism + 1) * ChunkSize + EffectiveChunkSize);

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

    /// <summary>Reads settings from <paramref name="config"/>, overlaid by <c>actor-pipeline.pipelines."name"</c> when a name is given.</summary>
    /// <exception cref="ConfigurationException">A value is missing, malformed or out of range; the message names the key as written, its value and the range.</exception>
    public static PipelineSettings Create(Config config, string? pipelineName)
    {
        var root = config.WithFallback(DefaultConfig()).GetConfig(Section);
        RejectUnknownKeys(root, Section);
        var section = root;
        var ownSection = Section;
        IReadOnlySet<string> ownKeys = new HashSet<string>();
        if (pipelineName is not null && root.HasPath($"pipelines.\"{pipelineName}\""))
        {
            ownSection = $"{Section}.pipelines.\"{pipelineName}\"";
            var own = root.GetConfig($"pipelines.\"{pipelineName}\"");
            RejectUnknownKeys(own, ownSection);
            ownKeys = TopKeys(own).ToHashSet();
            section = own.WithFallback(root);
        }

        string Key(string key) => ownKeys.Contains(key) ? $"{ownSection}.{key}" : $"{Section}.{key}";
        TValue Read<TValue>(string key, Func<Config, TValue> read) => ReadValue(section, key, Key(key), read);

        // A size counts as chosen when it differs from the library's default; with a capacity, the others are derived.
        var defaults = DefaultConfig().GetConfig(Section);
        var chosen = Sizes.None;
        foreach (var (key, size) in new[] { ("buffer-size", Sizes.Buffer), ("producer-credit", Sizes.Credit), ("chunk-size", Sizes.Chunk), ("parallelism", Sizes.Parallelism) })
        {
            if (!string.Equals(section.GetString(key), defaults.GetString(key), StringComparison.OrdinalIgnoreCase))
                chosen |= size;
        }

        return new PipelineSettings(
            capacity: Read("capacity", c => ReadAuto(c, "capacity")),
            bufferSize: Read("buffer-size", c => c.GetInt("buffer-size")),
            producerCredit: Read("producer-credit", c => c.GetInt("producer-credit")),
            chunkSize: Read("chunk-size", c => c.GetInt("chunk-size")),
            consumers: Read("consumers", c => c.GetInt("consumers")),
            parallelism: Read("parallelism", c => ReadAuto(c, "parallelism")),
            chosen: chosen,
            maxRetries: Read("max-retries", c => c.GetInt("max-retries")),
            maxRedeliveries: Read("max-redeliveries", c => c.GetInt("max-redeliveries")),
            consumerTimeout: Read("consumer-timeout", c => c.GetTimeSpan("consumer-timeout", allowInfinite: false)),
            stopTimeout: Read("stop-timeout", c => c.GetTimeSpan("stop-timeout", allowInfinite: false)),
            maxReportedFailures: Read("max-reported-failures", c => c.GetInt("max-reported-failures")),
            keepAlive: Read("keep-alive", c => c.GetBoolean("keep-alive")),
            blockingHandlers: Read("blocking-handlers", c => c.GetBoolean("blocking-handlers")),
            ownSection, ownKeys,
            (key, message) => new ConfigurationException($"{Key(key)} {message}"));
    }

    /// <summary>A copy with another <see cref="Capacity"/>, from which buffer, credit, chunk size and parallelism are derived;
    /// choose one of them with its <c>With…</c> method after this. <c>null</c> (<c>auto</c>) sizes the pipeline from the
    /// other settings.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not within 1 .. <see cref="MaxCapacity"/>.</exception>
    public PipelineSettings WithCapacity(int? items) => items is null
        ? Copy(capacity: items, paramName: nameof(items))
        : Copy(capacity: items, parallelism: (int?)null, unchosen: Sizes.Buffer | Sizes.Credit | Sizes.Chunk | Sizes.Parallelism, paramName: nameof(items));

    /// <summary>A copy with another <see cref="BufferSize"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not within 1 .. 1048576.</exception>
    public PipelineSettings WithBufferSize(int items) => Copy(bufferSize: items, chosen: Sizes.Buffer, paramName: nameof(items));

    /// <summary>A copy with another <see cref="ProducerCredit"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not within 1 .. 1048576.</exception>
    public PipelineSettings WithProducerCredit(int items) => Copy(producerCredit: items, chosen: Sizes.Credit, paramName: nameof(items));

    /// <summary>A copy with another <see cref="ChunkSize"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not within 1 .. 65536.</exception>
    public PipelineSettings WithChunkSize(int items) => Copy(chunkSize: items, chosen: Sizes.Chunk, paramName: nameof(items));

    /// <summary>A copy with another <see cref="Consumers"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not within 1 .. 4096.</exception>
    public PipelineSettings WithConsumers(int routees) => Copy(consumers: routees, paramName: nameof(routees));

    /// <summary>A copy with another <see cref="Parallelism"/>; <c>null</c> means 2 × consumers.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not within 1 .. 65536.</exception>
    public PipelineSettings WithParallelism(int? chunks) =>
        Copy(parallelism: chunks, chosen: chunks is null ? Sizes.None : Sizes.Parallelism, unchosen: chunks is null ? Sizes.Parallelism : Sizes.None, paramName: nameof(chunks));

    /// <summary>A copy with another <see cref="MaxRetries"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not within 0 .. 100.</exception>
    public PipelineSettings WithMaxRetries(int retries) => Copy(maxRetries: retries, paramName: nameof(retries));

    /// <summary>A copy with another <see cref="MaxRedeliveries"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not within 0 .. 100.</exception>
    public PipelineSettings WithMaxRedeliveries(int redeliveries) => Copy(maxRedeliveries: redeliveries, paramName: nameof(redeliveries));

    /// <summary>A copy with another <see cref="ConsumerTimeout"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not greater than zero.</exception>
    public PipelineSettings WithConsumerTimeout(TimeSpan timeout) => Copy(consumerTimeout: timeout, paramName: nameof(timeout));

    /// <summary>A copy with another <see cref="StopTimeout"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not greater than zero.</exception>
    public PipelineSettings WithStopTimeout(TimeSpan timeout) => Copy(stopTimeout: timeout, paramName: nameof(timeout));

    /// <summary>A copy that keeps running with no producer alive, or not (<see cref="KeepAlive"/>).</summary>
    public PipelineSettings WithKeepAlive(bool keepAlive) => Copy(keepAlive: keepAlive);

    /// <summary>A copy whose routees run on threads of their own, or not (<see cref="BlockingHandlers"/>).</summary>
    public PipelineSettings WithBlockingHandlers(bool blocking) => Copy(blockingHandlers: blocking);

    /// <summary>A copy with another <see cref="MaxReportedFailures"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not within 0 .. 1048576.</exception>
    public PipelineSettings WithMaxReportedFailures(int failures) => Copy(maxReportedFailures: failures, paramName: nameof(failures));

    /// <summary>Checks that every size chosen fits the capacity; the pipeline does this when it starts.</summary>
    /// <exception cref="ConfigurationException">A chosen size is larger than the capacity; the message names both keys and values.</exception>
    public PipelineSettings EnsureFitsCapacity()
    {
        if (Capacity is not { } capacity)
            return this;
        foreach (var (key, size, value) in new[] { ("buffer-size", Sizes.Buffer, _bufferSize), ("producer-credit", Sizes.Credit, _producerCredit), ("chunk-size", Sizes.Chunk, _chunkSize) })
        {
            if ((_chosen & size) != 0 && value > capacity)
                throw new ConfigurationException(
                    $"{KeyOf(key)} = {value} does not fit {KeyOf("capacity")} = {capacity}: the pipeline never holds more than its capacity, " +
                    $"so {key} can be at most {capacity}; lower it, or leave it out and it is derived from the capacity.");
        }

        return this;
    }

    // A chunk per consumer, so that every consumer has work: each hop costs microseconds, so a chunk of the whole
    // capacity beats smaller ones below 8 items a consumer, and beyond 256 items bigger chunks save nothing measurable.
    private int DerivedChunk(int capacity) => Math.Min(Math.Min(capacity, 256), Math.Max(8, capacity / Consumers));

    private bool Derived(Sizes size) => Capacity is not null && (_chosen & size) == 0;

    // Every copy goes through the validating constructor, so no instance holds an out-of-range value.
    private PipelineSettings Copy(
        Optional<int?> capacity = default, int? bufferSize = null, int? producerCredit = null, int? chunkSize = null, int? consumers = null,
        Optional<int?> parallelism = default, Sizes chosen = Sizes.None, Sizes unchosen = Sizes.None, int? maxRetries = null, int? maxRedeliveries = null,
        TimeSpan? consumerTimeout = null, TimeSpan? stopTimeout = null, int? maxReportedFailures = null, bool? keepAlive = null, bool? blockingHandlers = null,
        string paramName = "value") =>
        new(capacity.HasValue ? capacity.Value : Capacity,
            bufferSize ?? _bufferSize, producerCredit ?? _producerCredit, chunkSize ?? _chunkSize, consumers ?? Consumers,
            parallelism.HasValue ? parallelism.Value : _parallelism, (_chosen | chosen) & ~unchosen,
            maxRetries ?? MaxRetries, maxRedeliveries ?? MaxRedeliveries, consumerTimeout ?? ConsumerTimeout, stopTimeout ?? StopTimeout, maxReportedFailures ?? MaxReportedFailures,
            keepAlive ?? KeepAlive, blockingHandlers ?? BlockingHandlers, _ownSection, _ownKeys,
            (key, message) => new ArgumentOutOfRangeException(paramName, $"{KeyOf(key)} {message}"));

    private readonly record struct Optional<TValue>(TValue Value)
    {
        public bool HasValue { get; } = true;

        public static implicit operator Optional<TValue>(TValue value) => new(value);
    }

    private string KeyOf(string key) => _ownKeys.Contains(key) ? $"{_ownSection}.{key}" : $"{Section}.{key}";

    private static readonly string[] Keys =
    [
        "capacity", "buffer-size", "producer-credit", "chunk-size", "consumers", "parallelism",
        "max-retries", "max-redeliveries", "consumer-timeout", "stop-timeout", "max-reported-failures", "keep-alive", "blocking-handlers",
    ];

    private static IEnumerable<string> TopKeys(Config section) => section.AsEnumerable().Select(e => e.Key.Split('.')[0]).Distinct();

    // A misspelt key would otherwise be ignored in silence and its default used instead.
    private static void RejectUnknownKeys(Config section, string path)
    {
        foreach (var key in TopKeys(section))
        {
            if (!Keys.Contains(key) && !(key is "pipelines" or "blocking-dispatcher" && path == Section))
                throw new ConfigurationException(
                    $"{path}.{key} is not a setting of ActorPipeline; known keys: {string.Join(", ", Keys)}{(path == Section ? ", pipelines, blocking-dispatcher" : "")}.");
        }
    }

    private static int? ReadAuto(Config c, string key) =>
        string.Equals(c.GetString(key), "auto", StringComparison.OrdinalIgnoreCase) ? null : c.GetInt(key);

    private static TValue ReadValue<TValue>(Config section, string key, string path, Func<Config, TValue> read)
    {
        if (!section.HasPath(key))
            throw new ConfigurationException($"{path} is missing; set it or remove the override that hides the default.");
        try
        {
            return read(section);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ConfigurationException or ArgumentException)
        {
            var allowed = typeof(TValue) == typeof(TimeSpan) ? "a duration greater than 0, e.g. 30s or 500ms"
                : typeof(TValue) == typeof(bool) ? "on or off"
                : key is "parallelism" or "capacity" ? "a whole number or auto" : "a whole number";
            throw new ConfigurationException($"{path} = '{section.GetString(key)}' is not valid; allowed: {allowed}.", e);
        }
    }

    private static int InRange(string key, int value, int min, int max, Func<string, string, Exception> error) =>
        value >= min && value <= max
            ? value
            : throw error(key, $"= {value} is out of range; allowed: {min} .. {max}.");

    private static TimeSpan Positive(string key, TimeSpan value, Func<string, string, Exception> error) =>
        value > TimeSpan.Zero
            ? value
            : throw error(key, $"= {value} is out of range; allowed: a duration greater than 0.");
}
