using Akka.Actor;
using Akka.Configuration;

namespace ActorPipeline;

/// <summary>Immutable, validated settings of one pipeline, read from the <c>actor-pipeline</c> HOCON section.</summary>
/// <remarks>
/// Every default lives in the library's <c>reference.conf</c>. Values are validated when the settings are
/// made, so a pipeline never starts with a value outside its range.
/// </remarks>
public sealed record PipelineSettings
{
    /// <summary>The HOCON section that holds the settings.</summary>
    public const string Section = "actor-pipeline";

    private const int MaxItems = 1 << 20;

    private PipelineSettings(
        int bufferSize, int producerCredit, int chunkSize, int consumers, int? parallelism,
        int maxRetries, TimeSpan consumerTimeout, TimeSpan stopTimeout, int maxReportedFailures)
    {
        BufferSize = InRange("buffer-size", bufferSize, 1, MaxItems);
        ProducerCredit = InRange("producer-credit", producerCredit, 1, MaxItems);
        ChunkSize = InRange("chunk-size", chunkSize, 1, 65536);
        Consumers = InRange("consumers", consumers, 1, 4096);
        Parallelism = parallelism is { } p ? InRange("parallelism", p, 1, 65536) : null;
        MaxRetries = InRange("max-retries", maxRetries, 0, 100);
        ConsumerTimeout = Positive("consumer-timeout", consumerTimeout);
        StopTimeout = Positive("stop-timeout", stopTimeout);
        MaxReportedFailures = InRange("max-reported-failures", maxReportedFailures, 0, MaxItems);
    }

    /// <summary>Capacity of the queue in items; when it is full, producers wait.</summary>
    public int BufferSize { get; private init; }

    /// <summary>Items one producer may have sent and not yet had acknowledged.</summary>
    public int ProducerCredit { get; private init; }

    /// <summary>Largest number of items moved together inside the pipeline.</summary>
    public int ChunkSize { get; private init; }

    /// <summary>Routees of the default round-robin consumer pool.</summary>
    public int Consumers { get; private init; }

    /// <summary>Chunks handed to the consumer pool and not yet answered; <c>null</c> means 2 × <see cref="Consumers"/>.</summary>
    public int? Parallelism { get; private init; }

    /// <summary>Retries of an item whose handler failed, before the item counts as failed.</summary>
    public int MaxRetries { get; private init; }

    /// <summary>Longest time one item may spend in its handler.</summary>
    public TimeSpan ConsumerTimeout { get; private init; }

    /// <summary>Default deadline for draining or aborting a running pipeline.</summary>
    public TimeSpan StopTimeout { get; private init; }

    /// <summary>Failed items the report keeps with item and exception; further failures are only counted.</summary>
    public int MaxReportedFailures { get; private init; }

    /// <summary>Items the gateway offers to the queue at once: <see cref="ChunkSize"/>, but never more than <see cref="BufferSize"/>.</summary>
    public int EffectiveChunkSize => Math.Min(ChunkSize, BufferSize);

    /// <summary>Chunks in flight to the consumer pool, with <c>auto</c> resolved.</summary>
    public int EffectiveParallelism => Parallelism ?? 2 * Consumers;

    /// <summary>The most items that can be in the pipeline at once (sent by producers, not yet finished).</summary>
    /// <param name="producers">The number of producers alive at the same time.</param>
    /// <returns>
    /// <c>producers × producer-credit + buffer-size + (parallelism + 1) × chunk-size + min(chunk-size, buffer-size)</c>:
    /// unacknowledged items, the queue, the chunks at consumers, and the chunk being gathered for them (with the one
    /// queued chunk that did not fit into it).
    /// </returns>
    public long MaxItemsInFlight(int producers) =>
        (long)producers * ProducerCredit + BufferSize + (long)(EffectiveParallelism + 1) * ChunkSize + EffectiveChunkSize;

    /// <summary>The library's defaults, as written in its <c>reference.conf</c>.</summary>
    public static Config DefaultConfig() => ConfigurationFactory.FromResource<PipelineSettings>("ActorPipeline.reference.conf");

    /// <summary>Reads the settings of the pipeline <paramref name="pipelineName"/> from an ActorSystem's configuration.</summary>
    public static PipelineSettings Create(ActorSystem system, string pipelineName) =>
        Create(system.Settings.Config, pipelineName);

    /// <summary>Reads the common settings from <paramref name="config"/>.</summary>
    /// <exception cref="ConfigurationException">A value is missing, malformed or out of range; the message names key, value and range.</exception>
    public static PipelineSettings Create(Config config) => Create(config, null);

    /// <summary>Reads settings from <paramref name="config"/>, overlaid by <c>actor-pipeline.pipelines."name"</c> when a name is given.</summary>
    /// <exception cref="ConfigurationException">A value is missing, malformed or out of range; the message names key, value and range.</exception>
    public static PipelineSettings Create(Config config, string? pipelineName)
    {
        var root = config.WithFallback(DefaultConfig()).GetConfig(Section);
        RejectUnknownKeys(root, Section);
        var section = root;
        if (pipelineName is not null && root.HasPath($"pipelines.\"{pipelineName}\""))
        {
            var own = root.GetConfig($"pipelines.\"{pipelineName}\"");
            RejectUnknownKeys(own, $"{Section}.pipelines.\"{pipelineName}\"");
            section = own.WithFallback(root);
        }

        return new PipelineSettings(
            bufferSize: Read(section, "buffer-size", c => c.GetInt("buffer-size")),
            producerCredit: Read(section, "producer-credit", c => c.GetInt("producer-credit")),
            chunkSize: Read(section, "chunk-size", c => c.GetInt("chunk-size")),
            consumers: Read(section, "consumers", c => c.GetInt("consumers")),
            parallelism: Read(section, "parallelism", ReadParallelism),
            maxRetries: Read(section, "max-retries", c => c.GetInt("max-retries")),
            consumerTimeout: Read(section, "consumer-timeout", c => c.GetTimeSpan("consumer-timeout", allowInfinite: false)),
            stopTimeout: Read(section, "stop-timeout", c => c.GetTimeSpan("stop-timeout", allowInfinite: false)),
            maxReportedFailures: Read(section, "max-reported-failures", c => c.GetInt("max-reported-failures")));
    }

    /// <summary>A copy with another <see cref="BufferSize"/>.</summary>
    public PipelineSettings WithBufferSize(int items) => Copy(this with { BufferSize = items });

    /// <summary>A copy with another <see cref="ProducerCredit"/>.</summary>
    public PipelineSettings WithProducerCredit(int items) => Copy(this with { ProducerCredit = items });

    /// <summary>A copy with another <see cref="ChunkSize"/>.</summary>
    public PipelineSettings WithChunkSize(int items) => Copy(this with { ChunkSize = items });

    /// <summary>A copy with another <see cref="Consumers"/>.</summary>
    public PipelineSettings WithConsumers(int routees) => Copy(this with { Consumers = routees });

    /// <summary>A copy with another <see cref="Parallelism"/>; <c>null</c> means 2 × consumers.</summary>
    public PipelineSettings WithParallelism(int? chunks) => Copy(this with { Parallelism = chunks });

    /// <summary>A copy with another <see cref="MaxRetries"/>.</summary>
    public PipelineSettings WithMaxRetries(int retries) => Copy(this with { MaxRetries = retries });

    /// <summary>A copy with another <see cref="ConsumerTimeout"/>.</summary>
    public PipelineSettings WithConsumerTimeout(TimeSpan timeout) => Copy(this with { ConsumerTimeout = timeout });

    /// <summary>A copy with another <see cref="StopTimeout"/>.</summary>
    public PipelineSettings WithStopTimeout(TimeSpan timeout) => Copy(this with { StopTimeout = timeout });

    /// <summary>A copy with another <see cref="MaxReportedFailures"/>.</summary>
    public PipelineSettings WithMaxReportedFailures(int failures) => Copy(this with { MaxReportedFailures = failures });

    // Every copy goes through the validating constructor, so no instance holds an out-of-range value.
    private static PipelineSettings Copy(PipelineSettings s) => new(
        s.BufferSize, s.ProducerCredit, s.ChunkSize, s.Consumers, s.Parallelism,
        s.MaxRetries, s.ConsumerTimeout, s.StopTimeout, s.MaxReportedFailures);

    private static readonly string[] Keys =
    [
        "buffer-size", "producer-credit", "chunk-size", "consumers", "parallelism",
        "max-retries", "consumer-timeout", "stop-timeout", "max-reported-failures",
    ];

    // A misspelt key would otherwise be ignored in silence and its default used instead.
    private static void RejectUnknownKeys(Config section, string path)
    {
        foreach (var key in section.AsEnumerable().Select(e => e.Key.Split('.')[0]).Distinct())
        {
            if (!Keys.Contains(key) && !(key == "pipelines" && path == Section))
                throw new ConfigurationException(
                    $"{path}.{key} is not a setting of ActorPipeline; known keys: {string.Join(", ", Keys)}{(path == Section ? ", pipelines" : "")}.");
        }
    }

    private static int? ReadParallelism(Config c) =>
        string.Equals(c.GetString("parallelism"), "auto", StringComparison.OrdinalIgnoreCase) ? null : c.GetInt("parallelism");

    private static TValue Read<TValue>(Config section, string key, Func<Config, TValue> read)
    {
        if (!section.HasPath(key))
            throw new ConfigurationException($"{Section}.{key} is missing; set it or remove the override that hides the default.");
        try
        {
            return read(section);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ConfigurationException or ArgumentException)
        {
            var allowed = typeof(TValue) == typeof(TimeSpan)
                ? "a duration greater than 0, e.g. 30s or 500ms"
                : key == "parallelism" ? "a whole number or auto" : "a whole number";
            throw new ConfigurationException($"{Section}.{key} = '{section.GetString(key)}' is not valid; allowed: {allowed}.", e);
        }
    }

    private static int InRange(string key, int value, int min, int max) =>
        value >= min && value <= max
            ? value
            : throw new ConfigurationException($"{Section}.{key} = {value} is out of range; allowed: {min} .. {max}.");

    private static TimeSpan Positive(string key, TimeSpan value) =>
        value > TimeSpan.Zero
            ? value
            : throw new ConfigurationException($"{Section}.{key} = {value} is out of range; allowed: a duration greater than 0.");
}
