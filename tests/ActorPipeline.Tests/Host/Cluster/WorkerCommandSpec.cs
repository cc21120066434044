using ActorPipeline.Host;

namespace ActorPipeline.Tests.Host;

/// <summary>The demo as a cluster's front node and a worker, both through the host's entry point, in this process.</summary>
// Not beside each other: the tracing spec reads the spans of the whole process, and demos of the other would be in them.
[Collection(DemoRuns.Name)]
public sealed class WorkerCommandSpec
{
    [Fact]
    public async Task A_worker_hosts_the_demo_s_consumers_and_leaves_when_interrupted()
    {
        await using var worker = await Worker.StartAsync();

        var front = await HostRun.RunAsync(["demo", "--items", "50", "--delay-ms", "1", "--quiet", "--seed-nodes", worker.Seed]);
        var workerExit = await worker.StopAsync();

        Assert.Equal(0, front.Exit);
        Assert.Equal("total consumed: 150 (expected 150)", front.Lines[^1]);
        Assert.Contains("cluster: front node akka.tcp://actor-pipeline-host@127.0.0.1:", front.Err);
        Assert.Equal(HostApp.Success, workerExit);
        Assert.Contains("worker: up; hosting routees until stopped", worker.Err);
        Assert.Contains("worker: left the cluster", worker.Err);
    }

    [Fact]
    public async Task Hash_across_a_worker_prints_what_it_prints_in_one_process()
    {
        var tree = Directory.CreateTempSubdirectory("hash-cluster-spec-").FullName;
        try
        {
            for (var i = 0; i < 20; i++)
                await File.WriteAllTextAsync(Path.Combine(tree, $"f{i}"), new string('x', i * 1000));
            await using var worker = await Worker.StartAsync();

            var local = await HostRun.RunAsync(["hash", tree, Path.Combine(tree, "missing"), "--quiet"]);
            var across = await HostRun.RunAsync(["hash", tree, Path.Combine(tree, "missing"), "--quiet", "--seed-nodes", worker.Seed]);
            await worker.StopAsync();

            Assert.Equal(20, local.Lines.Length);
            Assert.Equal(local.Lines, across.Lines);
            Assert.Equal(local.Exit, across.Exit);
            Assert.Contains($"hash: {Path.Combine(tree, "missing")}: ", across.Err);
        }
        finally
        {
            Directory.Delete(tree, recursive: true);
        }
    }

    [Fact]
    public async Task Ingest_across_a_worker_counts_what_it_counts_in_one_process()
    {
        var logs = Directory.CreateTempSubdirectory("ingest-cluster-spec-").FullName;
        try
        {
            string[] levels = ["INFO", "WARN", "ERROR", "DEBUG"];
            for (var f = 0; f < 3; f++)
                await File.WriteAllLinesAsync(Path.Combine(logs, $"app{f}.log"),
                    Enumerable.Range(0, 5000 * (f + 1)).Select(i => $"{levels[i % 4]} request {i} {(i % 7 == 0 ? "timeout" : "ok")}"));
            await using var worker = await Worker.StartAsync();

            var local = await HostRun.RunAsync(["ingest", logs, "--grep", "timeout", "--json", "--quiet"]);
            var across = await HostRun.RunAsync(["ingest", logs, "--grep", "timeout", "--json", "--quiet", "--seed-nodes", worker.Seed]);
            await worker.StopAsync();

            Assert.Equal(0, local.Exit);
            Assert.Contains("\"matches\": 4287", local.Out);
            Assert.Equal(local.Out, across.Out);
            Assert.Equal(0, across.Exit);
        }
        finally
        {
            Directory.Delete(logs, recursive: true);
        }
    }

    [Fact]
    public async Task With_otel_console_an_item_s_trace_runs_from_the_front_s_publish_span_to_the_worker_s_process_span()
    {
        await using var worker = await Worker.StartAsync("--otel", "console");

        var front = await HostRun.RunAsync(["demo", "--items", "20", "--quiet", "--otel", "console", "--seed-nodes", worker.Seed]);
        await worker.StopAsync();

        Assert.Equal("total consumed: 60 (expected 60)", front.Lines[^1]);
        // Listeners are per process, and other specs run demos meanwhile: the spans of this run are those in its traces.
        var publishes = Spans(front.Err, "'publish demo' producer");
        var processes = Spans(worker.Err, "'process demo' consumer").Where(p => publishes.Any(pub => pub.Trace == p.Trace)).ToArray();
        Assert.NotEmpty(processes);
        Assert.All(processes, p => Assert.Contains(publishes, pub => pub.Span == p.Parent));
        Assert.Equal(60, processes.Sum(p => p.Items));
        Assert.Contains(front.ErrLines, l => l.StartsWith("otel metric messaging.client.sent.messages ", StringComparison.Ordinal)
            && long.Parse(l[(l.LastIndexOf(" sum=", StringComparison.Ordinal) + 5)..]) >= 60);
    }

    // The spans of one kind in a node's stderr, as the console exporter writes them: trace, span and parent ids, and
    // how many items the span covers.
    private static (string Trace, string Span, string Parent, int Items)[] Spans(string err, string kind) =>
        err.Split('\n').Where(l => l.StartsWith($"otel span {kind} ", StringComparison.Ordinal))
            .Select(l => (Field(l, "trace")!, Field(l, "span")!, Field(l, "parent")!, int.Parse(Field(l, "messaging.batch.message_count") ?? "1"))).ToArray();

    private static string? Field(string line, string name) =>
        line.Split(' ').SingleOrDefault(w => w.StartsWith(name + "=", StringComparison.Ordinal))?[(name.Length + 1)..];

    /// <summary>A worker started through the host's entry point, forming a cluster of its own on a free port.</summary>
    private sealed class Worker : IAsyncDisposable
    {
        private readonly Interrupts _interrupts = new();
        private readonly SynchronizedWriter _err = new();
        private Task<int> _run = Task.FromResult(0);

        public string Seed { get; private set; } = "";

        public string Err => _err.ToString();

        public static async Task<Worker> StartAsync(params string[] flags)
        {
            var worker = new Worker();
            worker._run = HostApp.RunAsync(["worker", "--port", "0", .. flags], HostConsole.Plain(TextWriter.Null, worker._err, worker._interrupts));
            var line = await worker._err.LineAsync(l => l.Contains("join it with --seed-nodes ", StringComparison.Ordinal));
            worker.Seed = line.Split("--seed-nodes ")[1];
            await worker._err.LineAsync(l => l.StartsWith("worker: up", StringComparison.Ordinal));
            return worker;
        }

        public Task<int> StopAsync()
        {
            _interrupts.Interrupt();
            return _run.WaitAsync(TestSources.Hang);
        }

        public async ValueTask DisposeAsync()
        {
            if (!_run.IsCompleted)
                await StopAsync();
            _interrupts.Dispose();
        }
    }

    /// <summary>A writer several threads may write to, whose lines a test can wait for.</summary>
    private sealed class SynchronizedWriter : StringWriter
    {
        private readonly Lock _lock = new();
        private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Found)> _waiting = [];

        public override void Write(char value)
        {
            lock (_lock)
                base.Write(value);
        }

        public override void Write(string? value)
        {
            lock (_lock)
                base.Write(value);
        }

        public override void WriteLine(string? value)
        {
            lock (_lock)
            {
                base.WriteLine(value);
                foreach (var (match, found) in _waiting.Where(w => value is not null && w.Match(value)))
                    found.TrySetResult(value!);
            }
        }

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }

        public override string ToString()
        {
            lock (_lock)
                return base.ToString();
        }

        public Task<string> LineAsync(Func<string, bool> match)
        {
            lock (_lock)
            {
                var seen = base.ToString().Split('\n').FirstOrDefault(match);
                if (seen is not null)
                    return Task.FromResult(seen);
                var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting.Add((match, found));
                return found.Task.WaitAsync(TestSources.Hang);
            }
        }
    }
}
