using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Runtime.CompilerServices;
using ActorPipeline.Hosting;
using Akka.Configuration;

namespace ActorPipeline.Host;

/// <summary>The seed scenario: P producers × N items through a bounded buffer to C consumers, every item counted.</summary>
internal static class DemoCommand
{
    private const string Section = "actor-pipeline-host.demo";

    /// <summary>Adds the `demo` command and makes it the root command's action too, with the same flags.</summary>
    public static void Configure(RootCommand root, Config config, TextWriter stdout)
    {
        var settings = PipelineSettings.Create(config, "demo");
        var producers = IntOption("--producers", "Producers, each sending --items items.", HostConfig.GetInt(config, $"{Section}.producers"), 0);
        var items = IntOption("--items", "Items per producer.", HostConfig.GetInt(config, $"{Section}.items-per-producer"), 0);
        // The defaults shown here are the HOCON ones; appsettings.json or environment variables may still override them
        // (a flag that is not typed is not applied, see Given).
        var consumers = IntOption("--consumers", "Routees of the consumer pool.", settings.Consumers, 1);
        var buffer = IntOption("--buffer", "Capacity of the queue, in items.", settings.BufferSize, 1);
        var failRate = new Option<double>("--fail-rate")
        {
            Description = "Fraction of items whose handler throws, chosen by --seed (0 .. 1).",
            DefaultValueFactory = _ => 0,
            CustomParser = r => Parse<double>(r, "--fail-rate", (string t, out double v) => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out v), v => v is >= 0 and <= 1, "between 0 and 1"),
        };
        var verbose = new Option<bool>("--verbose") { Description = "Log what Akka and the host do (information level, on stderr)." };
        var seed = new Option<int>("--seed") { Description = "Seed that chooses the failing items.", DefaultValueFactory = _ => 1 };

        var demo = new Command("demo", "The seed scenario: producers × items through a bounded buffer to consumers (the default).");
        Func<ParseResult, CancellationToken, Task<int>> run = (parsed, cancellationToken) => RunAsync(
            config,
            new DemoJob(parsed.GetValue(producers), parsed.GetValue(items),
                Given(parsed, consumers), Given(parsed, buffer), parsed.GetValue(failRate), parsed.GetValue(seed), parsed.GetValue(verbose)),
            stdout,
            cancellationToken);

        // `demo` is also what runs with no command at all, with the same flags.
        foreach (var command in new Command[] { demo, root })
        {
            foreach (var option in new Option[] { producers, items, consumers, buffer, failRate, seed, verbose })
                command.Options.Add(option);
            command.SetAction(run);
        }

        root.Subcommands.Add(demo);
    }

    // A value typed on the command line, or null when the flag was left to its default.
    private static int? Given(ParseResult parsed, Option<int> option) =>
        parsed.GetResult(option) is { Implicit: false } ? parsed.GetValue(option) : null;

    private static Option<int> IntOption(string name, string description, int defaultValue, int min) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = r => Parse<int>(r, name, (string t, out int v) => int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out v), v => v >= min, $"at least {min}"),
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

    private sealed record DemoJob(int Producers, int Items, int? Consumers, int? Buffer, double FailRate, int Seed, bool Verbose)
    {
        public long Expected => (long)Producers * Items;

        // Whether an item fails depends only on the seed and the item, so a run can be repeated exactly.
        public bool Fails(DemoItem item) => FailRate > 0 && Mix(Seed, item.Producer, item.Index) < FailRate;

        private static double Mix(int seed, int producer, int index)
        {
            var x = ((ulong)(uint)seed << 32 | (uint)producer) * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)index;
            x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
            x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
            x ^= x >> 31;
            return (x >> 11) * (1.0 / (1UL << 53));
        }
    }

    private sealed record DemoItem(int Producer, int Index);

    private static async Task<int> RunAsync(Config config, DemoJob job, TextWriter stdout, CancellationToken cancellationToken)
    {
        var started = new TaskCompletionSource<PipelineHandle>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var host = JobHost.Build(config, job.Verbose, "Demo", (akka, options) => akka.WithActorPipeline<DemoItem, DemoPipeline>(
            "demo",
            builder =>
            {
                // Flags given on the command line win over every configuration source.
                builder.WithSettings(s => s.WithBufferSize(job.Buffer ?? s.BufferSize).WithConsumers(job.Consumers ?? s.Consumers))
                    .WithHandler(item =>
                    {
                        if (job.Fails(item))
                            throw new InvalidOperationException($"item {item.Producer}:{item.Index} failed on purpose (--fail-rate {job.FailRate}, --seed {job.Seed})");
                    })
                    .OnProducerStopped(p => stdout.WriteLine($"{p.Name} done ({p.Produced} items{(p.Failure is null ? "" : $", failed: {p.Failure.Message}")})"));
                for (var p = 0; p < job.Producers; p++)
                {
                    var producer = p;
                    builder.WithSource(ct => Items(producer, job.Items, ct));
                }
            },
            options,
            started.SetResult));

        await host.StartAsync(cancellationToken);
        var pipeline = await started.Task;
        await using var stop = cancellationToken.Register(() => pipeline.DrainAsync());
        var report = await pipeline.Completion;

        var consumer = 0;
        foreach (var (_, processed) in report.ProcessedByConsumer.OrderBy(c => c.Key, StringComparer.Ordinal))
            await stdout.WriteLineAsync($"c{consumer++} consumed {processed}");
        if (report.Failed > 0)
            await stdout.WriteLineAsync($"failed: {report.Failed} (first: {report.Failures[0].Cause.Message})");
        await stdout.WriteLineAsync($"total consumed: {report.Succeeded} (expected {job.Expected})");
        await host.StopAsync(CancellationToken.None);
        return report.Outcome != PipelineOutcome.Completed ? HostApp.Interrupted
            : report.Failed == 0 && report.Succeeded == job.Expected ? HostApp.Success
            : HostApp.ItemsFailed;
    }

    /// <summary>The registry key of the demo's pipeline.</summary>
    private sealed class DemoPipeline;

    private static async IAsyncEnumerable<DemoItem> Items(int producer, int count, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (var i = 0; i < count && !cancellationToken.IsCancellationRequested; i++)
            yield return new DemoItem(producer, i);
        await Task.CompletedTask;
    }
}
