using System.Globalization;
using System.Reflection;
using System.Text;
using Akka.Configuration;

namespace ActorPipeline.Hosting;

/// <summary>Settings of one pipeline in the Akka.Hosting style: every property left <c>null</c> keeps its HOCON value.</summary>
/// <remarks>
/// Bind it from <c>IConfiguration</c> (appsettings.json, environment variables), e.g.
/// <c>configuration.GetSection("ActorPipeline:Orders").Bind(options)</c>. The values become the HOCON section
/// <c>actor-pipeline.pipelines."name"</c>, so they are validated like any other setting when the pipeline starts.
/// </remarks>
public sealed class ActorPipelineOptions
{
    /// <summary>The most items in the pipeline at once, from all producers together; the sizes below not given are derived from it.</summary>
    public int? Capacity { get; set; }

    /// <summary>Capacity of the queue, in items.</summary>
    public int? BufferSize { get; set; }

    /// <summary>Credit one producer holds at most at once.</summary>
    public int? ProducerCredit { get; set; }

    /// <summary>Largest number of items moved together.</summary>
    public int? ChunkSize { get; set; }

    /// <summary>Routees of the default round-robin consumer pool.</summary>
    public int? Consumers { get; set; }

    /// <summary>Chunks at the consumer pool at once.</summary>
    public int? Parallelism { get; set; }

    /// <summary>Retries of an item whose handler failed.</summary>
    public int? MaxRetries { get; set; }

    /// <summary>Deliveries of an item again after the consumer holding it was lost.</summary>
    public int? MaxRedeliveries { get; set; }

    /// <summary>The wait before a failed item's first retry; setting it turns the retry backoff on.</summary>
    public TimeSpan? RetryBackoffMin { get; set; }

    /// <summary>The longest wait between retries.</summary>
    public TimeSpan? RetryBackoffMax { get; set; }

    /// <summary>How much each wait between retries grows over the one before.</summary>
    public double? RetryBackoffFactor { get; set; }

    /// <summary>The most a random part adds to each wait, as a fraction of it.</summary>
    public double? RetryBackoffJitter { get; set; }

    /// <summary>The most items handlers start per second across the pool.</summary>
    public int? MaxRate { get; set; }

    /// <summary>How many items may start at once under <see cref="MaxRate"/>.</summary>
    public int? MaxRateBurst { get; set; }

    /// <summary>Call back with results and failures in the order the items entered the pipeline.</summary>
    public bool? ResultsInOrder { get; set; }

    /// <summary>What happens to an item that comes while the capacity is used up: wait, drop an item, or fail.</summary>
    public OverflowMode? Overflow { get; set; }

    /// <summary>Longest time one item may spend in its handler.</summary>
    public TimeSpan? ConsumerTimeout { get; set; }

    /// <summary>Default deadline of drain and abort.</summary>
    public TimeSpan? StopTimeout { get; set; }

    /// <summary>Failed items the report keeps with their exception.</summary>
    public int? MaxReportedFailures { get; set; }

    /// <summary>Keep running with no producer alive, for producer actors that register later.</summary>
    public bool? KeepAlive { get; set; }

    /// <summary>Run each consumer routee on a thread of its own, for handlers that block.</summary>
    public bool? BlockingHandlers { get; set; }

    /// <summary>The HOCON that applies these options to the pipeline named <paramref name="pipelineName"/>.</summary>
    public Config ToHocon(string pipelineName)
    {
        var hocon = new StringBuilder();
        foreach (var (key, property) in Properties)
        {
            if (property.GetValue(this) is { } value)
                hocon.AppendLine(CultureInfo.InvariantCulture, $"{key} = {Format(value)}");
        }

        return ConfigurationFactory.ParseString($"{PipelineSettings.Section}.pipelines.\"{pipelineName}\" {{\n{hocon}}}");
    }

    // Each setting key has the property of the same name in PascalCase (buffer-size: BufferSize, retry-backoff.min:
    // RetryBackoffMin); the key table is
    // PipelineSettings', so a key added there without a property here fails at the first use, and in the spec.
    private static readonly (string Key, PropertyInfo Property)[] Properties = PipelineSettings.Keys
        .Select(key => (key, typeof(ActorPipelineOptions).GetProperty(PascalCase(key))
            ?? throw new InvalidOperationException($"{nameof(ActorPipelineOptions)} has no property for the setting '{key}'.")))
        .ToArray();

    private static string PascalCase(string key) =>
        string.Concat(key.Split('-', '.').Select(word => char.ToUpperInvariant(word[0]) + word[1..]));

    private static string Format(object value) => value switch
    {
        bool flag => flag ? "on" : "off",
        OverflowMode mode => PipelineSettings.OverflowName(mode),
        TimeSpan time => string.Create(CultureInfo.InvariantCulture, $"{(long)time.TotalMilliseconds}ms"),
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString()!,
    };
}
