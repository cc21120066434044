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

    public Option<int> Producers { get; }

    public Option<int> Consumers { get; }

    public Option<int> Buffer { get; }

    public Option<bool> Verbose { get; } = new("--verbose") { Description = "Log what Akka and the host do (information level, on stderr), and when each phase of the run ends." };

    public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "No progress and no summary on stderr; errors still go there." };

    /// <summary>--seed-nodes, --port and --hostname: with any of them the job's consumers run on a cluster's workers.</summary>
    public ClusterFlags Cluster { get; } = new();

    /// <summary>Adds the shared flags to <paramref name="command"/>.</summary>
    public void AddTo(Command command, bool producers = true)
    {
        if (producers)
            command.Options.Add(Producers);
        foreach (var option in new Option[] { Consumers, Buffer, Capacity, Quiet, Verbose })
            command.Options.Add(option);
        Cluster.AddTo(command);
    }

    /// <summary>Applies the typed --capacity, --buffer and --consumers over whatever the configuration chose.</summary>
    /// <remarks>A capacity derives every size again, so --buffer, when given too, comes after it.</remarks>
    public Func<PipelineSettings, PipelineSettings> Overrides(ParseResult parsed)
    {
        var capacity = parsed.GetValue(Capacity);
        var consumers = Given(parsed, Consumers);
        var buffer = Given(parsed, Buffer);
        return s =>
        {
            if (capacity is not null)
                s = s.WithCapacity(capacity);
            if (buffer is { } items)
                s = s.WithBufferSize(items);
            return consumers is { } routees ? s.WithConsumers(routees) : s;
        };
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

    private static TValue Parse<TValue>(ArgumentResult result, string name, TryParse<TValue> tryParse, Func<TValue, bool> allowed, string range)
        where TValue : struct
    {
        var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Join(' ', result.Tokens.Select(t => t.Value));
        if (!tryParse(text, out var value))
            result.AddError($"{name} expects a number; got '{text}'.");
        else if (!allowed(value))
            result.AddError($"{name} must be {range}; got {text}.");
        return value;
    }
}
