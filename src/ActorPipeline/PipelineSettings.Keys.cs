using Akka.Configuration;

namespace ActorPipeline;

// The keys of the actor-pipeline section, each defined once: name, kind and range. Reading, checking, error messages,
// the unknown-key check and ActorPipelineOptions follow from this table; the defaults are in reference.conf.
public sealed partial record PipelineSettings
{
    private const int MaxItems = 1 << 20;
    private const int MaxChunk = 1 << 16;
    private const int MaxRatePerSecond = 1_000_000_000;

    // Sub-sections that are not settings of their own.
    private const string AutoSizesSection = "auto-sizes";
    private const string PipelinesSection = "pipelines";
    private const string BlockingDispatcherSection = "blocking-dispatcher";
    private const string DurableSection = "durable";

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
    private static readonly Key RetryBackoffMinKey = new("retry-backoff.min", KeyKind.DurationOrOff);
    private static readonly Key RetryBackoffMaxKey = new("retry-backoff.max", KeyKind.Duration);
    private static readonly Key RetryBackoffFactorKey = new("retry-backoff.factor", KeyKind.Real, 1, 100);
    private static readonly Key RetryBackoffJitterKey = new("retry-backoff.jitter", KeyKind.Real, 0, 1);
    private static readonly Key MaxRateKey = new("max-rate", KeyKind.CountOrOff, 1, MaxRatePerSecond);
    private static readonly Key MaxRateBurstKey = new("max-rate-burst", KeyKind.CountOrAuto, 1, MaxRatePerSecond);
    private static readonly Key ResultsInOrderKey = new("results-in-order", KeyKind.Flag);
    private static readonly Key OverflowKey = new("overflow", KeyKind.Choice);

    private static readonly Key[] AllKeys =
    [
        CapacityKey, BufferSizeKey, ProducerCreditKey, ChunkSizeKey, ConsumersKey, ParallelismKey, MaxRetriesKey,
        MaxRedeliveriesKey, RetryBackoffMinKey, RetryBackoffMaxKey, RetryBackoffFactorKey, RetryBackoffJitterKey, MaxRateKey,
        MaxRateBurstKey, ResultsInOrderKey, OverflowKey, ConsumerTimeoutKey, StopTimeoutKey, MaxReportedFailuresKey, KeepAliveKey, BlockingHandlersKey,
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

        string PathOf(Key key) => ownKeys.Contains(key.Name) || ownKeys.Contains(key.Name.Split('.')[0]) ? $"{ownSection}.{key.Name}" : $"{Section}.{key.Name}";
        int? Count(Key key) => key.Check(Read(section, key, PathOf(key), ReadCount), message => new ConfigurationException($"{PathOf(key)} {message}"));
        int Number(Key key) => Count(key) ?? throw new ConfigurationException($"{PathOf(key)} = auto is not valid; allowed: {key.Allowed}.");
        TimeSpan Duration(Key key) => key.Check(Read(section, key, PathOf(key), static (c, k) => c.GetTimeSpan(k, allowInfinite: false)), message => new ConfigurationException($"{PathOf(key)} {message}"));
        bool Flag(Key key) => Read(section, key, PathOf(key), static (c, k) => c.GetBoolean(k));
        double Real(Key key) => key.Check(Read(section, key, PathOf(key), static (c, k) => double.Parse(c.GetString(k), System.Globalization.CultureInfo.InvariantCulture)), message => new ConfigurationException($"{PathOf(key)} {message}"));
        TimeSpan? DurationOrOff(Key key) => IsOff(section, key) ? null : Duration(key);
        int? CountOrOff(Key key) => IsOff(section, key) ? null : key.Check(Read(section, key, PathOf(key), static (c, k) => c.GetInt(k)), message => new ConfigurationException($"{PathOf(key)} {message}"));
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
            _backoff = new Backoff(DurationOrOff(RetryBackoffMinKey), Duration(RetryBackoffMaxKey), Real(RetryBackoffFactorKey), Real(RetryBackoffJitterKey)),
            MaxRate = CountOrOff(MaxRateKey),
            _rateBurst = Count(MaxRateBurstKey),
            ResultsInOrder = Flag(ResultsInOrderKey),
            Overflow = Read(section, OverflowKey, PathOf(OverflowKey), static (c, k) => ParseOverflow(c.GetString(k))),
        }.EnsureBackoffOrdered();
    }

    private static IEnumerable<string> TopKeys(Config section) => section.AsEnumerable().Select(e => e.Key.Split('.')[0]).Distinct();

    // A misspelt key would otherwise be ignored in silence and its default used instead; so would one inside a section
    // of settings (retry-backoff.mni).
    private static void RejectUnknownKeys(Config section, string path)
    {
        // The durable section is the durability package's to read and check.
        var sections = path == Section ? new[] { AutoSizesSection, PipelinesSection, BlockingDispatcherSection, DurableSection } : [AutoSizesSection, DurableSection];
        var known = Keys.Select(k => k.Split('.')[0]).Distinct().ToArray();
        foreach (var key in TopKeys(section))
        {
            if (!known.Contains(key) && !sections.Contains(key))
                throw new ConfigurationException($"{path}.{key} is not a setting of ActorPipeline; known keys: {string.Join(", ", known.Concat(sections))}.");
        }

        foreach (var group in Keys.Where(k => k.Contains('.')).GroupBy(k => k.Split('.')[0]))
        {
            if (!section.HasPath(group.Key) || section.GetValue(group.Key).IsString())
                continue;
            foreach (var key in TopKeys(section.GetConfig(group.Key)))
            {
                if (!group.Contains($"{group.Key}.{key}"))
                    throw new ConfigurationException($"{path}.{group.Key}.{key} is not a setting of ActorPipeline; known keys of {group.Key}: {string.Join(", ", group)}.");
            }
        }
    }

    /// <summary>Reads an overflow mode as HOCON writes it (<c>drop-oldest</c>; the enum's own name is taken too).</summary>
    /// <exception cref="FormatException">Not one of the modes.</exception>
    public static OverflowMode ParseOverflow(string value) =>
        !string.IsNullOrEmpty(value) && !char.IsAsciiDigit(value[0]) && !value.StartsWith('-')
        && Enum.TryParse<OverflowMode>(value.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out var mode) && Enum.IsDefined(mode)
            ? mode
            : throw new FormatException($"'{value}' is not an overflow mode; allowed: {OverflowKey.Allowed}.");

    /// <summary>The mode as HOCON writes it: <c>drop-oldest</c> for <see cref="OverflowMode.DropOldest"/>.</summary>
    public static string OverflowName(OverflowMode mode) =>
        string.Concat(mode.ToString().Select((c, i) => char.IsUpper(c) ? (i > 0 ? "-" : "") + char.ToLowerInvariant(c) : c.ToString()));

    private static bool IsOff(Config section, Key key) =>
        section.HasPath(key.Name) && section.GetString(key.Name) is { } text
        && (text.Equals("off", StringComparison.OrdinalIgnoreCase) || text.Equals("false", StringComparison.OrdinalIgnoreCase));

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
        DurationOrOff,
        CountOrOff,
        Real,
        Flag,
        Choice,
    }

    /// <summary>One setting: its name in the section, the kind of its value and, for counts, the range allowed.</summary>
    private sealed record Key(string Name, KeyKind Kind, int Min = 0, int Max = 0)
    {
        public string Allowed => Kind switch
        {
            KeyKind.Count => $"a whole number, {Min} .. {Max}",
            KeyKind.CountOrAuto => $"a whole number, {Min} .. {Max}, or auto",
            KeyKind.Duration => "a duration greater than 0, e.g. 30s or 500ms",
            KeyKind.DurationOrOff => "a duration greater than 0, e.g. 100ms, or off",
            KeyKind.CountOrOff => $"a whole number, {Min} .. {Max}, or off",
            KeyKind.Real => $"a number, {Min} .. {Max}",
            KeyKind.Choice => string.Join(", ", Enum.GetValues<OverflowMode>().Select(OverflowName)),
            _ => "on or off",
        };

        public TValue Check<TValue>(TValue value, Func<string, Exception> error) => value switch
        {
            int n when n < Min || n > Max => throw error($"= {n} is out of range; allowed: {Min} .. {Max}."),
            TimeSpan t when t <= TimeSpan.Zero => throw error($"= {t} is out of range; allowed: a duration greater than 0."),
            double d when !(d >= Min && d <= Max) => throw error($"= {d.ToString(System.Globalization.CultureInfo.InvariantCulture)} is out of range; allowed: {Min} .. {Max}."),
            _ => value,
        };
    }
}
