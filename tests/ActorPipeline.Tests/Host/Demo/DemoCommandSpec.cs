using System.Buffers.Binary;
using ActorPipeline.Host;

namespace ActorPipeline.Tests.Host;

// Not beside each other: the tracing spec reads the spans of the whole process, and demos of the other would be in them.
[Collection(DemoRuns.Name)]
public sealed class DemoCommandSpec
{
    private static async Task<(int Exit, string[] Out, string Err)> RunAsync(params string[] args)
    {
        var run = await HostRun.RunAsync(args);
        return (run.Exit, run.Lines, run.Err);
    }

    [Fact]
    public async Task With_no_arguments_it_runs_the_seed_scenario()
    {
        var (exit, lines, err) = await RunAsync();

        Assert.Equal(0, exit);
        Assert.StartsWith("demo: completed", err);
        Assert.Equal(["p0 done (8 items)", "p1 done (8 items)", "p2 done (8 items)"], lines.Where(l => l.Contains(" done ")).Order());
        var consumers = lines.Where(l => l.StartsWith('c')).ToArray();
        Assert.Equal(2, consumers.Length);
        Assert.Equal(24, consumers.Sum(l => int.Parse(l.Split(' ')[^1])));
        Assert.Equal("total consumed: 24 (expected 24)", lines[^1]);
    }

    [Fact]
    public async Task Verbose_says_when_each_phase_of_the_run_ended()
    {
        var (exit, _, err) = await RunAsync("--items", "2", "--quiet", "--verbose");

        Assert.Equal(0, exit);
        var phases = err.Split('\n').Where(l => l.StartsWith("phase: ")).ToArray();
        Assert.Equal(["job starting", "host, ActorSystem and pipeline started", "pipeline completed", "host stopped"],
            phases.Select(l => l["phase: ".Length..l.IndexOf(" at ", StringComparison.Ordinal)]));
        var times = phases.Select(l => long.Parse(l.Split(" at ")[1].Split(' ')[0])).ToArray();
        Assert.Equal(times.Order(), times);
    }

    [Fact]
    public async Task Flags_override_the_scenario()
    {
        var (exit, lines, _) = await RunAsync("--producers", "2", "--items", "5", "--buffer", "4");

        Assert.Equal(0, exit);
        Assert.Equal(2, lines.Count(l => l.Contains(" done ")));
        Assert.Equal("total consumed: 10 (expected 10)", lines[^1]);
    }

    [Fact]
    public async Task With_otel_console_spans_and_metrics_go_to_stderr_and_stdout_keeps_only_the_results()
    {
        var run = await HostRun.RunAsync(["--items", "5", "--quiet", "--otel", "console"]);

        Assert.Equal(0, run.Exit);
        Assert.DoesNotContain(run.Lines, l => l.StartsWith("otel ", StringComparison.Ordinal));
        var spans = run.ErrLines.Where(l => l.StartsWith("otel span ", StringComparison.Ordinal)).ToArray();
        Assert.Contains(spans, l => l.StartsWith("otel span 'publish demo' producer ", StringComparison.Ordinal) && l.Contains(" messaging.system=actorpipeline"));
        Assert.Contains(spans, l => l.StartsWith("otel span 'process demo' consumer ", StringComparison.Ordinal));
        // A meter listener hears every pipeline of the process, and other specs run demos meanwhile: at least this run's 15.
        Assert.Contains(run.ErrLines, l => l.StartsWith("otel metric messaging.client.consumed.messages ", StringComparison.Ordinal)
            && long.Parse(l[(l.LastIndexOf(" sum=", StringComparison.Ordinal) + 5)..]) >= 15);
    }

    [Theory]
    [InlineData(".svg")]
    [InlineData(".png")]
    public async Task Chart_draws_the_run_to_the_file_named_once_it_is_over(string extension)
    {
        var path = Path.Combine(Path.GetTempPath(), $"actor-pipeline-chart-{Guid.NewGuid():N}{extension}");
        try
        {
            var run = await HostRun.RunAsync(["--items", "200", "--delay-ms", "1", "--quiet", "--chart", path]);

            Assert.Equal(0, run.Exit);
            Assert.Equal("total consumed: 600 (expected 600)", run.Lines[^1]);
            Assert.Contains($"chart: {path}", run.Err);
            if (extension == ".png")
            {
                // A PNG's signature, then its header chunk with the chart's size: 1200 × 600.
                var png = File.ReadAllBytes(path);
                Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10 }, png[..8]);
                Assert.Equal((1200, 600), (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20))));
                return;
            }

            // The same chart as SVG: the lines as paths, the title as text, at the same size.
            var svg = System.Xml.Linq.XDocument.Load(path).Root!;
            Assert.Equal(("svg", "1200", "600"), (svg.Name.LocalName, svg.Attribute("width")?.Value, svg.Attribute("height")?.Value));
            Assert.Contains(svg.Descendants(), e => e.Name.LocalName == "path");
            Assert.Contains(svg.Descendants(), e => e.Name.LocalName == "text" && e.Value.Trim().StartsWith("demo: 600 succeeded", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Items_that_fail_for_a_while_all_succeed_under_a_retry_backoff()
    {
        // Items fail until 300 ms after they were produced; waits of 50, 100, 200, 400 ms … outlast that within 10 retries.
        var (exit, lines, _) = await RunAsync(
            "--items", "100", "--fail-rate", "0.2", "--fail-for", "300", "--max-retries", "10", "--retry-backoff", "50ms", "--max-rate", "100000");

        Assert.Equal(0, exit);
        Assert.Equal("total consumed: 300 (expected 300)", lines[^1]);
    }

    [Theory]
    [InlineData("drop-oldest")]
    [InlineData("drop-newest")]
    [InlineData("drop-incoming")]
    public async Task Under_a_drop_mode_the_producers_never_wait_and_the_summary_counts_what_was_dropped(string mode)
    {
        // 600 items through a capacity of 4 at 50 ms an item (15 s of work for two consumers): nothing waits for them.
        var (exit, lines, err) = await RunAsync("--items", "200", "--delay-ms", "50", "--capacity", "4", "--overflow", mode);

        Assert.Equal(0, exit);
        var total = lines[^1].Split(' ');
        var (succeeded, dropped) = (int.Parse(total[2]), int.Parse(total[5]));
        Assert.Equal($"total consumed: {succeeded} (expected 600, {dropped} dropped)", lines[^1]);
        Assert.Equal(600, succeeded + dropped);
        Assert.InRange(dropped, 1, 596);
        Assert.Contains("| dropped |", err);
    }

    [Fact]
    public async Task Under_fail_the_run_ends_at_the_first_item_that_finds_the_capacity_used_up_and_exits_with_one()
    {
        var (exit, _, err) = await RunAsync("--items", "200", "--delay-ms", "50", "--capacity", "4", "--overflow", "fail");

        Assert.Equal(1, exit);
        Assert.Contains("error: Pipeline 'demo' overflowed: all 4 items of its capacity were in flight", err);
        Assert.StartsWith("demo: faulted", err[err.IndexOf("demo: ", StringComparison.Ordinal)..]);
    }

    [Fact]
    public async Task A_fail_rate_fails_a_seeded_fraction_and_exits_with_one()
    {
        var first = await RunAsync("--items", "400", "--fail-rate", "0.25", "--seed", "42");
        var again = await RunAsync("--items", "400", "--fail-rate", "0.25", "--seed", "42");

        Assert.Equal(1, first.Exit);
        var failed = int.Parse(first.Out.Single(l => l.StartsWith("failed: ")).Split(' ')[1]);
        var succeeded = int.Parse(first.Out[^1].Split(' ')[2]);
        Assert.Equal(1200, failed + succeeded);
        Assert.InRange(failed, 200, 400);
        Assert.EndsWith("(expected 1200)", first.Out[^1]);
        Assert.Equal(first.Out[^1], again.Out[^1]);
    }

    [Theory]
    [InlineData("actor-pipeline.bufer-size = 7", "actor-pipeline.bufer-size is not a setting of ActorPipeline")]
    [InlineData("actor-pipeline.consumers = ${nowhere}", "Unresolved substitution: nowhere")]
    [InlineData("actor-pipeline.consumers = 0", "actor-pipeline.consumers = 0 is out of range; allowed: 1 .. 4096.")]
    // Checked only when the pipeline starts in the ActorSystem, not when the file is read.
    [InlineData("akka.actor.deployment { \"/demo/consumers\" { router = broadcast-pool, nr-of-instances = 2 } }",
        "akka.actor.deployment.\"/demo/consumers\".router = broadcast-pool is not supported")]
    public async Task A_bad_configuration_file_is_one_line_and_exit_code_two(string hocon, string message)
    {
        var (exit, lines, err) = await RunWithConfigAsync(hocon);

        Assert.Equal(2, exit);
        Assert.Empty(lines);
        Assert.StartsWith("error: cannot use the configuration: ", err);
        Assert.Contains(message, err);
        Assert.Single(err.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    private static async Task<(int Exit, string[] Out, string Err)> RunWithConfigAsync(string hocon)
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, hocon);
        try
        {
            return await RunAsync("--config", file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_configuration_file_overrides_the_default_one()
    {
        var (exit, lines, _) = await RunWithConfigAsync("actor-pipeline.consumers = 3\nactor-pipeline-host.demo.producers = 4");

        Assert.Equal(0, exit);
        Assert.Equal(4, lines.Count(l => l.Contains(" done ")));
        Assert.Equal("total consumed: 32 (expected 32)", lines[^1]);
    }

    [Fact]
    public async Task Environment_variables_override_the_configuration_files_and_flags_override_both()
    {
        Environment.SetEnvironmentVariable("ActorPipeline__Demo__Consumers", "3");
        try
        {
            var fromEnvironment = await RunAsync();
            var fromFlag = await RunAsync("--consumers", "1");

            Assert.Equal(3, fromEnvironment.Out.Count(l => l.StartsWith('c')));
            Assert.Single(fromFlag.Out, l => l.StartsWith('c'));
            Assert.Equal("total consumed: 24 (expected 24)", fromFlag.Out[^1]);
        }
        finally
        {
            Environment.SetEnvironmentVariable("ActorPipeline__Demo__Consumers", null);
        }
    }

    [Fact]
    public async Task A_missing_configuration_file_is_one_line_and_exit_code_two()
    {
        var (exit, _, err) = await RunAsync("--config", "/nonexistent/pipeline.hocon");

        Assert.Equal(2, exit);
        Assert.Equal($"error: cannot use the configuration: /nonexistent/pipeline.hocon does not exist.{Environment.NewLine}", err);
    }

    [Theory]
    [InlineData("--items abc", "--items expects a number; got 'abc'.")]
    [InlineData("--buffer 0", "--buffer must be at least 1; got 0.")]
    [InlineData("--consumers -2", "--consumers must be at least 1; got -2.")]
    [InlineData("--fail-rate 1.5", "--fail-rate must be between 0 and 1; got 1.5.")]
    [InlineData("--retry-backoff soon", "--retry-backoff expects a duration such as 100ms or 2s; got 'soon'.")]
    [InlineData("--max-retries 101", "--max-retries must be between 0 and 100; got 101.")]
    [InlineData("--max-rate 0", "--max-rate must be at least 1; got 0.")]
    [InlineData("--chart run.jpg", "--chart writes a .png or an .svg file; got 'run.jpg'.")]
    [InlineData("--otel zipkin", "--otel expects console, otlp or otlp=ENDPOINT (e.g. otlp=http://localhost:4317); got 'zipkin'.")]
    [InlineData("--overflow drop", "--overflow must be one of backpressure, drop-newest, drop-oldest, drop-incoming, fail; got 'drop'.")]
    [InlineData("--wat", "Unrecognized command or argument '--wat'.")]
    public async Task Bad_usage_prints_one_line_naming_the_flag_and_exits_with_two(string args, string message)
    {
        var (exit, lines, err) = await RunAsync(args.Split(' '));

        Assert.Equal(2, exit);
        Assert.Empty(lines);
        Assert.Equal($"error: {message}{Environment.NewLine}", err);
    }

    [Fact]
    public async Task Quiet_leaves_stderr_empty()
    {
        var (exit, lines, err) = await RunAsync("--quiet");

        Assert.Equal(0, exit);
        Assert.Equal("", err);
        Assert.Equal("total consumed: 24 (expected 24)", lines[^1]);
    }

    [Fact]
    public async Task An_interrupt_drains_prints_the_partial_report_and_exits_with_130()
    {
        // Producers that would never finish: only the interrupt, given before the run starts, can end it.
        using var interrupts = new Interrupts();
        interrupts.Interrupt();

        var run = await HostRun.RunAsync(["--items", int.MaxValue.ToString()], interrupts);

        Assert.Equal(130, run.Exit);
        Assert.Contains("interrupted: draining", run.Err);
        Assert.Contains("demo: drained", run.Err);
        var consumed = run.Lines.Where(l => l.StartsWith('c')).Sum(l => long.Parse(l.Split(' ')[^1]));
        Assert.Equal($"total consumed: {consumed} (expected {3L * int.MaxValue})", run.Lines[^1]);
    }

    [Fact]
    public async Task A_second_interrupt_aborts_and_every_produced_item_is_still_accounted_for()
    {
        using var interrupts = new Interrupts();
        interrupts.Interrupt();
        interrupts.Interrupt();

        var run = await HostRun.RunAsync(["--items", int.MaxValue.ToString()], interrupts);

        Assert.Equal(130, run.Exit);
        Assert.Contains("interrupted again: aborting", run.Err);
        var totals = run.Totals;
        var (produced, succeeded, failed) = (Number(totals[0]), Number(totals[1]), Number(totals[2]));
        Assert.Equal(produced, succeeded + failed);
    }

    [Fact]
    public async Task With_state_a_drained_run_is_resumed_by_the_next_and_each_item_counted_once()
    {
        var folder = Directory.CreateTempSubdirectory("demo-state-").FullName;
        var state = Path.Combine(folder, "demo.db");
        try
        {
            using var interrupts = new Interrupts();
            interrupts.Interrupt();
            var drained = await HostRun.RunAsync(["--items", "2000", "--state", state], interrupts);
            Assert.Equal(130, drained.Exit);
            var first = drained.Lines.Where(l => l.StartsWith('c')).Sum(l => long.Parse(l.Split(' ')[^1]));

            var resumed = await HostRun.RunAsync(["--items", "2000", "--state", state]);

            Assert.Equal(0, resumed.Exit);
            Assert.Equal("total consumed: 6000 (expected 6000)", resumed.Lines[^1]);
            // Each item once: what this run's consumers handled is what the drained run left.
            var second = resumed.Lines.Where(l => l.StartsWith('c')).Sum(l => long.Parse(l.Split(' ')[^1]));
            Assert.Equal(6000, first + second);
            if (first > 0)
                Assert.Contains("resumed an earlier run", resumed.Err);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_state_file_that_is_not_one_is_refused_naming_it_and_left_alone()
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, "not a database");

            var run = await HostRun.RunAsync(["--state", file, "--quiet"]);

            Assert.Equal(2, run.Exit);
            Assert.StartsWith("error: cannot use the state:", run.ErrLines.Single());
            Assert.Contains(file, run.Err);
            Assert.Equal("not a database", await File.ReadAllTextAsync(file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static long Number(string text) => long.Parse(text, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture);
}
