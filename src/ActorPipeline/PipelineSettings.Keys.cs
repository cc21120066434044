using Akka.Configuration;

namespace ActorPipeline;

// The keys of the actor-pipeline section, each defined once: name, kind and range. Reading, checking, error messages,
// the unknown-key check and ActorPipelineOptions follow from this table; the defaults are in reference.conf.
public sealed partial record PipelineSettings
{
    private const int MaxItems = 1 << 20;
    private const int MaxChunk = 1 << 16;

    // Sub-sections that are not settings of their own.
    private const string AutoSizesSection = "auto-sizes";
    private const string PipelinesSection = "pipelines";
    private const string BlockingDispatcherSection = "blocking-dispatcher";

    private static readonly Key CapacityKey = new("capacity", KeyKind.CountOrAuto, 1, MaxCapacity);
    private static readonly Key BufferSizeKey = new("buffer-size", KeyKind.CountOrAuto, 1, MaxItems);
    private static readonly Key ProducerCreditKey = new("producer-credit", KeyKind.CountOrAuto, 1, MaxItems);
    private static readonly Key ChunkSizeKey = new("chunk-size", KeyKind.CountOrAuto, 1, MaxChunk);
    private static readonly Key ConsumersKey = new("consumers", KeyKind.Count, 1, 4096);
    private static readonly Key ParallelismKey = new("parallelism", KeyKind.CountOrAuto, 1, MaxChunk);
    private static readonly Key MaxRetriesKey = new("max-retries", KeyKind.Count, 0, 100);
    private static readonly Key MaxRedeliveriesKey = new("max-redeliveries", KeyKind.Count, 0, 100);
    private static readonly Key ConsumerTimeoutKey = new("consumer-timeout", KeyKind.Duration);
    private static readonly Key StopTimeoutKey = new("stop-timeout", KeyKind.Duration);
    private static readonly Key MaxReportedFailuresKey = new("max-reported-failures", KeyKind.Count, 0, MaxItems);
    private static readonly Key KeepAliveKey = new("keep-alive", KeyKind.Flag);
    private static readonly Key BlockingHandlersKey = new("blocking-handlers", KeyKind.Flag);

    private static readonly Key[] AllKeys =
    [
        CapacityKey, BufferSizeKey, ProducerCreditKey, ChunkSizeKey, ConsumersKey, ParallelismKey, MaxRetriesKey,
        MaxRedeliveriesKey, ConsumerTimeoutKey, StopTimeoutKey, MaxReportedFailuresKey, KeepAliveKey, BlockingHandlersKey,
    ];

    /// <summary>The setting keys of a pipeline's section, in the order of <c>reference.conf</c>.</summary>
    public static IReadOnlyList<string> Keys { get; } = Array.AsReadOnly(AllKeys.Select(k => k.Name).ToArray());

    /// <summary>Reads settings from <paramref name="config"/>, overlaid by <c>actor-pipeline.pipelines."name"</c> when a name is given.</summary>
    /// <exception cref="ConfigurationException">A value is missing, malformed or out of range; the message names the key as written, its value and the range.</exception>
    public static PipelineSettings Create(Config config, string? pipelineName)
    {
        var root = config.WithFallback(DefaultConfig()).GetConfig(Section);
        RejectUnknownKeys(root, Section);
        var section = root;
        var ownSection = Section;
        var ownKeys = new HashSet<string>();
        if (pipelineName is not null && root.HasPath($"{PipelinesSection}.\"{pipelineName}\""))
        {
            ownSection = $"{Section}.{PipelinesSection}.\"{pipelineName}\"";
            var own = root.GetConfig($"{PipelinesSection}.\"{pipelineName}\"");
            RejectUnknownKeys(own, ownSection);
            ownKeys = TopKeys(own).ToHashSet();
            section = own.WithFallback(root);
        }

        string PathOf(Key key) => ownKeys.Contains(key.Name.Split('.')[0]) ? $"{ownSection}.{key.Name}" : $"{Section}.{key.Name}";
        int? Count(Key key) => key.Check(Read(section, key, PathOf(key), ReadCount), message => new ConfigurationException($"{PathOf(key)} {message}"));
        int Number(Key key) => Count(key) ?? throw new ConfigurationException($"{PathOf(key)} = auto is not valid; allowed: {key.Allowed}.");
        TimeSpan Duration(Key key) => key.Check(Read(section, key, PathOf(key), static (c, k) => c.GetTimeSpan(k, allowInfinite: false)), message => new ConfigurationException($"{PathOf(key)} {message}"));
        bool Flag(Key key) => Read(section, key, PathOf(key), static (c, k) => c.GetBoolean(k));
        int AutoSize(Key key) => Number(key with { Name = $"{AutoSizesSection}.{key.Name}", Kind = KeyKind.Count });

        return new PipelineSettings
        {
            _ownSection = ownSection,
            _ownKeys = string.Join(',', ownKeys.Order()),
            Capacity = Count(CapacityKey),
            _bufferSize = Count(BufferSizeKey),
            _producerCredit = Count(ProducerCreditKey),
            _chunkSize = Count(ChunkSizeKey),
            _auto = new AutoSizes(AutoSize(BufferSizeKey), AutoSize(ProducerCreditKey), AutoSize(ChunkSizeKey)),
            Consumers = Number(ConsumersKey),
            Parallelism = Count(ParallelismKey),
            MaxRetries = Number(MaxRetriesKey),
            MaxRedeliveries = Number(MaxRedeliveriesKey),
            ConsumerTimeout = Duration(ConsumerTimeoutKey),
            StopTimeout = Duration(StopTimeoutKey),
            MaxReportedFailures = Number(MaxReportedFailuresKey),
            KeepAlive = Flag(KeepAliveKey),
            BlockingHandlers = Flag(BlockingHandlersKey),
        };
    }

    private static IEnumerable<string> TopKeys(Config section) => section.AsEnumerable().Select(e => e.Key.Split('.')[0]).Distinct();

    // A misspelt key would otherwise be ignored in silence and its default used instead.
    private static void RejectUnknownKeys(Config section, string path)
    {
        var sections = path == Section ? new[] { AutoSizesSection, PipelinesSection, BlockingDispatcherSection } : [AutoSizesSection];
        foreach (var key in TopKeys(section))
        {
            if (!Keys.Contains(key) && !sections.Contains(key))
                throw new ConfigurationException($"{path}.{key} is not a setting of ActorPipeline; known keys: {string.Join(", ", Keys.Concat(sections))}.");
        }
    }

    private static int? ReadCount(Config c, string key) =>
        string.Equals(c.GetString(key), "auto", StringComparison.OrdinalIgnoreCase) ? null : c.GetInt(key);

    private static TValue Read<TValue>(Config section, Key key, string path, Func<Config, string, TValue> read)
    {
        if (!section.HasPath(key.Name))
            throw new ConfigurationException($"{path} is missing; set it or remove the override that hides the default.");
        try
        {
            return read(section, key.Name);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ConfigurationException or ArgumentException)
        {
            throw new ConfigurationException($"{path} = '{section.GetString(key.Name)}' is not valid; allowed: {key.Allowed}.", e);
        }
    }

    private enum KeyKind
    {
        Count,
        CountOrAuto,
        Duration,
        Flag,
    }

    /// <summary>One setting: its name in the section, the kind of its value and, for counts, the range allowed.</summary>
    private sealed record Key(string Name, KeyKind Kind, int Min = 0, int Max = 0)
    {
        public string Allowed => Kind switch
        {
            KeyKind.Count => $"a whole number, {Min} .. {Max}",
            KeyKind.CountOrAuto => $"a whole number, {Min} .. {Max}, or auto",
            KeyKind.Duration => "a duration greater than 0, e.g. 30s or 500ms",
            _ => "on or off",
        };

        public TValue Check<TValue>(TValue value, Func<string, Exception> error) => value switch
        {
            int n when n < Min || n > Max => throw error($"= {n} is out of range; allowed: {Min} .. {Max}."),
            TimeSpan t when t <= TimeSpan.Zero => throw error($"= {t} is out of range; allowed: a duration greater than 0."),
            _ => value,
        };
    }
}
