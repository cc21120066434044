using System.CommandLine;
using System.Runtime.CompilerServices;
using ActorPipeline.Persistence;
using Akka.Configuration;

namespace ActorPipeline.Host;

/// <summary>The seed scenario: P producers × N items through a bounded buffer to C consumers, every item counted.</summary>
internal static class DemoCommand
{
    private const string Section = "actor-pipeline-host.demo";

    /// <summary>Adds the `demo` command and makes it the root command's action too, with the same flags.</summary>
    public static void Configure(RootCommand root, Config config, HostConsole console)
    {
        var flags = new JobOptions(PipelineSettings.Create(config, "demo"), "Producers, each sending --items items.", HostConfig.GetInt(config, $"{Section}.producers"), 0);
        var items = JobOptions.Int("--items", "Items per producer.", HostConfig.GetInt(config, $"{Section}.items-per-producer"), 0);
        var failRate = JobOptions.Fraction("--fail-rate", "Fraction of items whose handler throws, chosen by --seed (0 .. 1).");
        var seed = new Option<int>("--seed") { Description = "Seed that chooses the failing items.", DefaultValueFactory = _ => 1 };
        var delay = JobOptions.Int("--delay-ms", "Milliseconds each item also waits, asynchronously, in its handler (I/O-bound work).", 0, 0);
        var failFor = JobOptions.Int("--fail-for", "Milliseconds after it is produced during which a failing item fails; after that it succeeds, as with a service that restarts (0: it always fails).", 0, 0);

        var demo = new Command("demo", "The seed scenario: producers × items through a bounded buffer to consumers (the default).");
        Func<ParseResult, CancellationToken, Task<int>> run = (parsed, _) => RunAsync(
            config,
            new DemoJob(parsed.GetValue(flags.Producers), parsed.GetValue(items), parsed.GetValue(failRate), parsed.GetValue(seed), parsed.GetValue(delay), parsed.GetValue(failFor)),
            parsed,
            flags,
            console);

        // `demo` is also what runs with no command at all, with the same flags.
        foreach (var command in new Command[] { demo, root })
        {
            flags.AddTo(command);
            flags.AddStateTo(command);
            foreach (var option in new Option[] { items, failRate, seed, delay, failFor })
                command.Options.Add(option);
            command.SetAction(run);
        }

        root.Subcommands.Add(demo);
    }

    private sealed record DemoJob(int Producers, int Items, double FailRate, int Seed, int DelayMs, int FailForMs)
    {
        public long Expected => (long)Producers * Items;

        // Whether an item fails depends only on the seed and the item, so a run can be repeated exactly.
        public DemoItem Item(int producer, int index) =>
            new(producer, index, FailRate > 0 && Mix(Seed, producer, index) < FailRate, DelayMs,
                FailForMs > 0 ? DateTime.UtcNow.Ticks + FailForMs * TimeSpan.TicksPerMillisecond : 0);

        private static double Mix(int seed, int producer, int index)
        {
            var x = ((ulong)(uint)seed << 32 | (uint)producer) * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)index;
            x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
            x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
            x ^= x >> 31;
            return (x >> 11) * (1.0 / (1UL << 53));
        }
    }

    private static async Task<int> RunAsync(Config config, DemoJob job, ParseResult parsed, JobOptions flags, HostConsole console)
    {
        var stdout = console.Out;
        // With --state, each producer's items carry their index, where a resumed run goes on.
        var state = parsed.GetValue(flags.State) is { } file
            ? new JobState(file, "demo", [$"{job.Producers}", $"{job.Items}", $"{job.FailRate:R}", $"{job.Seed}", $"{job.FailForMs}"])
            : null;
        var run = new JobRun<DemoItem>("Demo", "demo", builder =>
        {
            // Flags given on the command line win over every configuration source.
            builder.WithSettings(flags.Overrides(parsed))
                .WithHandler<DemoHandler>()
                .OnProducerStopped(p => stdout.WriteLine($"{p.Name} done ({p.Produced} items{(p.Failure is null ? "" : $", failed: {p.Failure.Message}")})"));
            if (state is not null)
                builder.WithDurability(state.Id, state.Store);
            for (var p = 0; p < job.Producers; p++)
            {
                var producer = p;
                if (state is null)
                    builder.WithSource(ct => Items(job, producer, ct));
                else
                    builder.WithResumableSource<DemoItem, long>($"p{p}", (from, ct) => Items(job, producer, from.HasPosition ? (int)from.Position : 0, ct));
            }
        })
        {
            Verbose = parsed.GetValue(flags.Verbose),
            Quiet = parsed.GetValue(flags.Quiet),
            Cluster = flags.Cluster.Given(parsed),
            Telemetry = parsed.GetValue(flags.Otel),
            Chart = parsed.GetValue(flags.Chart),
            RouteesPerNode = flags.RouteesPerNode(parsed, config, "demo"),
        };

        var report = await JobRunner.RunAsync(config, run, console);

        var consumer = 0;
        foreach (var (_, processed) in report.ProcessedByConsumer.OrderBy(c => c.Key, StringComparer.Ordinal))
            await stdout.WriteLineAsync($"c{consumer++} consumed {processed}");
        if (report.Failed > 0)
            await stdout.WriteLineAsync($"failed: {report.Failed}{(report.Failures.Count > 0 ? $" (first: {report.Failures[0].Cause.Message})" : "")}");
        // Items an overflow mode dropped were meant to be dropped: the run is right when the rest were consumed.
        await stdout.WriteLineAsync($"total consumed: {report.Succeeded} (expected {job.Expected}{(report.Dropped > 0 ? $", {report.Dropped} dropped" : "")})");
        var exit = JobRunner.ExitCode(report);
        return exit == HostApp.Success && report.Succeeded + report.Dropped != job.Expected ? HostApp.ItemsFailed : exit;
    }

    private static async IAsyncEnumerable<DemoItem> Items(DemoJob job, int producer, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (var i = 0; i < job.Items && !cancellationToken.IsCancellationRequested; i++)
            yield return job.Item(producer, i);
        await Task.CompletedTask;
    }

    // The same items with their index, from the index a resumed run goes on at.
    private static async IAsyncEnumerable<(DemoItem Item, long Index)> Items(DemoJob job, int producer, int from, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (var i = from; i < job.Items && !cancellationToken.IsCancellationRequested; i++)
            yield return (job.Item(producer, i), i);
        await Task.CompletedTask;
    }
}
