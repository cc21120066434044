using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Configuration;
using Xunit.Abstractions;

namespace ActorPipeline.Tests;

/// <summary>max-rate: handlers start at most that many items a second across the pool, and status says when the rate is
/// what holds work back. (How closely a run holds the rate is measured by the benchmark, not asserted here.)</summary>
public sealed class MaxRateSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.loglevel = ERROR"), output: output)
{
    [Fact]
    public async Task No_faster_than_the_rate_after_the_burst_however_many_consumers_ask()
    {
        // 20 a second with a burst of 1: the 21st item cannot start before a second has passed since the pipeline began.
        var starts = new ConcurrentQueue<long>();
        var begun = Stopwatch.GetTimestamp();
        var pipeline = Pipeline.Create<int>(Sys, "rate")
            .WithSettings(s => s.WithConsumers(4).WithMaxRate(20, burst: 1))
            .WithSource(ct => TestSources.Range(0, 21, cancellationToken: ct))
            .WithHandler(_ => starts.Enqueue(Stopwatch.GetTimestamp()))
            .Start();

        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.Equal(21L, report.Succeeded);
        var last = starts.Max();
        Assert.True(Stopwatch.GetElapsedTime(begun, last) >= TimeSpan.FromSeconds(1) - TimeSpan.FromMilliseconds(1),
            $"the last item started {Stopwatch.GetElapsedTime(begun, last).TotalMilliseconds} ms after the pipeline began");
    }

    [Fact]
    public async Task Status_says_when_the_rate_holds_work_back()
    {
        var pipeline = Pipeline.Create<int>(Sys, "rate-held")
            .WithSettings(s => s.WithConsumers(2).WithMaxRate(1, burst: 1))
            .WithSource(ct => TestSources.Range(0, 1000, cancellationToken: ct))
            .WithHandler(_ => { })
            .Start();

        await AwaitAssertAsync(async () => Assert.True((await pipeline.GetStatusAsync()).RateLimited));
        var report = await pipeline.AbortAsync().WaitAsync(TestSources.Hang);

        // One at once, then one a second: never more than that over the run, however long the abort took.
        Assert.True(report.Succeeded <= 1 + (long)Math.Ceiling(report.Elapsed.TotalSeconds), $"{report.Succeeded} items in {report.Elapsed}");
        Assert.Equal(report.Produced, report.Succeeded + report.Failed);
    }
}
