using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace ActorPipeline.Host;

/// <summary>The flags every job shares, and how typed values are parsed and checked.</summary>
internal sealed class JobOptions
{
    public JobOptions(PipelineSettings settings, string producersDescription, int producersDefault, int producersMin = 1)
    {
        // The defaults shown here are the HOCON ones; appsettings.json or environment variables may still override them
        // (a flag that is not typed is not applied, see Given).
        Producers = Int("--producers", producersDescription, producersDefault, producersMin);
        Consumers = Int("--consumers", "Routees of the consumer pool.", settings.Consumers, 1);
        Buffer = Int("--buffer", "Capacity of the queue, in items.", settings.BufferSize, 1);
        Capacity = new Option<int?>("--capacity")
        {
            Description = $"The most items in the pipeline at once (1 .. {PipelineSettings.MaxCapacity}); the queue, the credit, the chunks and the parallelism are derived from it (a --buffer given too must fit). Default: {(settings.Capacity?.ToString(CultureInfo.InvariantCulture) ?? "auto")}.",
            CustomParser = r => Parse<int>(r, "--capacity", (string t, out int v) => int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out v),
                v => v is >= 1 and <= PipelineSettings.MaxCapacity, $"between 1 and {PipelineSettings.MaxCapacity}"),
        };
    }

    public Option<int?> Capacity { get; }

    public Option<int?> MaxRetries { get; } = new("--max-retries")
    {
        Description = "Retries of an item whose handler failed, before it counts as failed (0 .. 100). Default: the configuration's (0).",
        CustomParser = r => Parse<int>(r, "--max-retries", (string t, out int v) => int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out v), v => v is >= 0 and <= 100, "between 0 and 100"),
    };

    public Option<TimeSpan?> RetryBackoff { get; } = new("--retry-backoff")
    {
        Description = "Wait before a failed item's first retry (e.g. 100ms, 2s), doubling up to retry-backoff.max; the item waits in the pipeline, not at a consumer. Default: off (retries at once).",
        CustomParser = r => Parse<TimeSpan>(r, "--retry-backoff", TryParseDuration, v => v > TimeSpan.Zero, "greater than 0", "a duration such as 100ms or 2s"),
    };

    public Option<int?> MaxRate { get; } = new("--max-rate")
    {
        Description = "The most items handlers start per second, across all consumers (on every node). Default: no limit.",
        CustomParser = r => Parse<int>(r, "--max-rate", (string t, out int v) => int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out v), v => v >= 1, "at least 1"),
    };

    // The modes by the names HOCON gives them, in the enum's order.
    private static readonly string[] OverflowModes = Enum.GetValues<OverflowMode>().Select(PipelineSettings.OverflowName).ToArray();

    public Option<OverflowMode?> Overflow { get; } = new("--overflow")
    {
        HelpName = string.Join('|', OverflowModes),
        Description = "What an item that comes while the capacity is used up does: backpressure (its producer waits), drop-oldest, drop-newest, drop-incoming, or fail. Default: the configuration's (backpressure).",
        CustomParser = r =>
        {
            var text = r.Tokens.Single().Value;
            try
            {
                return PipelineSettings.ParseOverflow(text);
            }
            catch (FormatException)
            {
                r.AddError($"--overflow must be one of {string.Join(", ", OverflowModes)}; got '{text}'.");
                return null;
            }
        },
    };

    public Option<int> Producers { get; }

    public Option<int> Consumers { get; }

    public Option<int> Buffer { get; }

    public Option<HostTelemetry?> Otel { get; } = HostTelemetry.Flag();

    public Option<string?> Chart { get; } = new("--chart")
    {
        Description = "After the run, draw it over time to FILE.png or FILE.svg: items per second, failures and retries, items in flight against the capacity.",
        CustomParser = r =>
        {
            var path = r.Tokens.Single().Value;
            if (Path.GetExtension(path).ToLowerInvariant() is not (".png" or ".svg"))
                r.AddError($"--chart writes a .png or an .svg file; got '{path}'.");
            return path;
        },
    };

    public Option<string?> State { get; } = new("--state")
    {
        HelpName = "FILE|CONNECTION",
        Description = "Keep the job's progress in this SQLite file (created on first use), or in the PostgreSQL database of a connection string (\"Host=…;Database=…;Username=…\"; demo only): a run that is stopped or killed, started again with the same arguments and --state, goes on where it stopped, and its output is that of one uninterrupted run.",
    };

    public Option<bool> Verbose { get; } = new("--verbose") { Description = "Log what Akka and the host do (information level, on stderr), and when each phase of the run ends." };

    public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "No progress and no summary on stderr; errors still go there." };

    /// <summary>--seed-nodes, --port and --hostname: with any of them the job's consumers run on a cluster's workers.</summary>
    public ClusterFlags Cluster { get; } = new();

    /// <summary>Adds the shared flags to <paramref name="command"/>.</summary>
    public void AddTo(Command command, bool producers = true)
    {
        if (producers)
            command.Options.Add(Producers);
        foreach (var option in new Option[] { Consumers, Buffer, Capacity, MaxRetries, RetryBackoff, MaxRate, Overflow, Otel, Chart, Quiet, Verbose })
            command.Options.Add(option);
        Cluster.AddTo(command);
    }

    /// <summary>Adds --state to a job that can resume.</summary>
    public void AddStateTo(Command command) => command.Options.Add(State);

    /// <summary>Applies the typed --capacity, --buffer, --consumers, --max-retries, --retry-backoff, --max-rate and
    /// --overflow over whatever the configuration chose.</summary>
    /// <remarks>A capacity derives every size again, so --buffer, when given too, comes after it. --retry-backoff sets the
    /// first wait; the longest, the factor and the jitter stay as configured.</remarks>
    public Func<PipelineSettings, PipelineSettings> Overrides(ParseResult parsed)
    {
        var capacity = parsed.GetValue(Capacity);
        var consumers = Given(parsed, Consumers);
        var buffer = Given(parsed, Buffer);
        var retries = parsed.GetValue(MaxRetries);
        var backoff = parsed.GetValue(RetryBackoff);
        var rate = parsed.GetValue(MaxRate);
        var overflow = parsed.GetValue(Overflow);
        return s =>
        {
            if (capacity is not null)
                s = s.WithCapacity(capacity);
            if (buffer is { } items)
                s = s.WithBufferSize(items);
            if (retries is { } n)
                s = s.WithMaxRetries(n);
            if (backoff is { } first)
            {
                // A first wait longer than the configured longest one raises the longest to it.
                var longest = s.WithRetryBackoff(TimeSpan.FromTicks(1)).RetryBackoff!.Max;
                s = s.WithRetryBackoff(first, first > longest ? first : null);
            }
            if (rate is { } perSecond)
                s = s.WithMaxRate(perSecond);
            if (overflow is { } mode)
                s = s.WithOverflow(mode);
            return consumers is { } routees ? s.WithConsumers(routees) : s;
        };
    }

    // A duration as HOCON writes one (100ms, 2s, 1m), so flags and configuration read alike.
    private static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = default;
        if (text.Length == 0 || !char.IsAsciiDigit(text[0]))
            return false;
        try
        {
            value = Akka.Configuration.ConfigurationFactory.ParseString($"d = {text}").GetTimeSpan("d", allowInfinite: false);
            return true;
        }
        catch (Exception e) when (e is FormatException or OverflowException or Akka.Configuration.ConfigurationException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Routees on each worker node when the job runs across a cluster: <c>--consumers</c>, or the pipeline's
    /// <c>consumers</c> setting.</summary>
    public int RouteesPerNode(ParseResult parsed, Akka.Configuration.Config config, string pipeline) =>
        Given(parsed, Consumers) ?? PipelineSettings.Create(config, pipeline).Consumers;

    // A value typed on the command line, or null when the flag was left to its default.
    private static int? Given(ParseResult parsed, Option<int> option) =>
        parsed.GetResult(option) is { Implicit: false } ? parsed.GetValue(option) : null;

    /// <summary>A whole-number flag with a lower bound and a one-line error naming it.</summary>
    public static Option<int> Int(string name, string description, int defaultValue, int min) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = r => Parse<int>(r, name, (string t, out int v) => int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out v), v => v >= min, $"at least {min}"),
    };

    /// <summary>A fraction flag (0 .. 1).</summary>
    public static Option<double> Fraction(string name, string description) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => 0,
        CustomParser = r => Parse<double>(r, name, (string t, out double v) => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out v), v => v is >= 0 and <= 1, "between 0 and 1"),
    };

    private delegate bool TryParse<TValue>(string text, out TValue value);

    private static TValue Parse<TValue>(ArgumentResult result, string name, TryParse<TValue> tryParse, Func<TValue, bool> allowed, string range, string expects = "a number")
        where TValue : struct
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Join(' ', result.Tokens.Select(t => t.Value));
        if (!tryParse(text, out var value))
            result.AddError($"{name} expects {expects}; got '{text}'.");
        else if (!allowed(value))
            result.AddError($"{name} must be {range}; got {text}.");
        return value;
    }
}
