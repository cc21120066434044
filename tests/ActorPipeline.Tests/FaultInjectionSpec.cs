using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using Xunit.Abstractions;

namespace ActorPipeline.Tests;

/// <summary>Seeded random runs with faults: a routee killed, a producer stopped and a drain, each at a random moment.</summary>
/// <remarks>
/// 200 cases by default; ACTOR_PIPELINE_FAULT_CASES sets how many, ACTOR_PIPELINE_FAULT_SEED runs the one case of that
/// seed (a failure names it). Every item emitted must end with exactly one outcome in the report — in its failures, or
/// counted as succeeded with a handler that finished it — and every status sample must hold the capacity and only grow.
/// </remarks>
public sealed class FaultInjectionSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.loglevel = OFF"), output: output)
{
    [Fact]
    public async Task Random_faults_lose_nothing_count_nothing_twice_and_keep_every_status_within_the_capacity()
    {
        await SeededCases.RunAsync("ACTOR_PIPELINE_FAULT", 200, RunCaseAsync);
    }

    private async Task RunCaseAsync(int seed)
    {
        var random = new Random(seed);
        var producers = random.Next(1, 6);
        var counts = Enumerable.Range(0, producers).Select(_ => random.Next(0, 200)).ToArray();
        var total = counts.Sum();
        var capacity = random.Next(4) == 0 ? (int?)null : random.Next(1, 65);
        var consumers = random.Next(1, 5);
        var retries = random.Next(0, 3);
        var asyncHandler = random.Next(2) == 0;
        var failEvery = random.Next(3) == 0 ? random.Next(2, 9) : 0;
        var (killAt, killed) = (random.Next(total + 1), random.Next(consumers));
        var (stopAt, stopped) = (random.Next(total + 1), random.Next(producers));
        var drainAt = random.Next(2) == 0 ? random.Next(total + 1) : -1;
        var emittedCount = 0;

        var emitted = new ConcurrentDictionary<int, bool>();
        var handled = new ConcurrentDictionary<int, bool>();
        var faults = new FaultQueue();
        PipelineHandle? pipeline = null;
        var builder = Pipeline.Create<int>(Sys, $"faults-{seed}")
            .WithSettings(settings => settings.WithCapacity(capacity).WithConsumers(consumers).WithMaxRetries(retries));
        builder = asyncHandler
            ? builder.WithHandler(async (item, _) =>
            {
                await Task.Yield();
                Handle(item);
            })
            : builder.WithHandler(Handle);
        for (var p = 0; p < producers; p++)
        {
            var start = p * 1000;
            var count = counts[p];
            builder.WithSource($"p{p}", ct => TestSources.Range(start, count, Emitted, ct));
        }

        pipeline = builder.Start();
        var report = await faults.RunUntilDoneAsync(Sys, pipeline);

        Assert.True(report.Outcome is PipelineOutcome.Completed or PipelineOutcome.Drained, $"outcome {report.Outcome}");
        Assert.Equal(emitted.Count, report.Produced);
        Assert.Equal(report.Produced, report.Succeeded + report.Failed);
        var failed = report.FailuresOf<int>().Select(f => f.Item).ToArray();
        Assert.Equal(failed.Length, failed.Distinct().Count());
        Assert.Equal(report.Failed, failed.Length);
        Assert.All(failed, item => Assert.True(emitted.ContainsKey(item), $"failed item {item} was never emitted"));
        var succeeded = emitted.Keys.Except(failed).ToArray();
        Assert.Equal(report.Succeeded, succeeded.Length);
        Assert.All(succeeded, item => Assert.True(handled.ContainsKey(item), $"item {item} counted as succeeded, but no handler finished it"));
        Assert.Equal(report.Produced, report.Producers.Sum(p => p.Produced));

        void Emitted(int item)
        {
            emitted[item] = true;
            var now = Interlocked.Increment(ref emittedCount) - 1;
            if (now == killAt)
                faults.Enqueue(() => faults.Routees.ElementAtOrDefault(killed % Math.Max(1, faults.Routees.Length))?.Send(Kill.Instance, ActorRefs.NoSender));
            if (now == stopAt)
                faults.Enqueue(() => Sys.ActorSelection($"/user/{pipeline!.Name}/producer-p{stopped}").Tell(PoisonPill.Instance));
            if (now == drainAt)
                faults.Enqueue(() => _ = pipeline!.DrainAsync(TestSources.Hang));
        }

        void Handle(int item)
        {
            if (failEvery > 0 && item % failEvery == 0)
                throw new InvalidOperationException($"item {item} fails");
            handled[item] = true;
        }
    }
}
