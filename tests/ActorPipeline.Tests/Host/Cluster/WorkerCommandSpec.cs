using ActorPipeline.Host;

namespace ActorPipeline.Tests.Host;

/// <summary>The demo as a cluster's front node and a worker, both through the host's entry point, in this process.</summary>
public sealed class WorkerCommandSpec
{
    [Fact]
    public async Task A_worker_hosts_the_demo_s_consumers_and_leaves_when_interrupted()
    {
        using var workerInterrupts = new Interrupts();
        var workerErr = new SynchronizedWriter();
        var worker = HostApp.RunAsync(["worker", "--port", "0"], HostConsole.Plain(TextWriter.Null, workerErr, workerInterrupts));
        var seed = await workerErr.LineAsync(l => l.Contains("join it with --seed-nodes ", StringComparison.Ordinal));

        var front = await HostRun.RunAsync(["demo", "--items", "50", "--delay-ms", "1", "--quiet", "--seed-nodes", seed.Split("--seed-nodes ")[1]]);
        workerInterrupts.Interrupt();
        var workerExit = await worker.WaitAsync(TestSources.Hang);

        Assert.Equal(0, front.Exit);
        Assert.Equal("total consumed: 150 (expected 150)", front.Lines[^1]);
        Assert.Contains("cluster: front node akka.tcp://actor-pipeline-host@127.0.0.1:", front.Err);
        Assert.Equal(HostApp.Success, workerExit);
        Assert.Contains("worker: up; hosting routees until stopped", workerErr.ToString());
        Assert.Contains("worker: left the cluster", workerErr.ToString());
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
