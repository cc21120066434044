using System.Collections.Concurrent;
using ActorPipeline.Internal;
using Akka.Actor;
using Akka.Configuration;
using Xunit.Abstractions;

namespace ActorPipeline.Tests;

public sealed class CoordinatedShutdownSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("""
        akka.loglevel = ERROR
        akka.coordinated-shutdown.phases.service-requests-done.timeout = 20s
        """), output: output)
{
    [Fact]
    public async Task A_system_shutting_down_drains_its_pipelines_and_their_reports_complete_before_it_terminates()
    {
        var handling = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pipeline = Pipeline.Create<int>(Sys, "shutdown")
            .WithSource(ct => TestSources.Range(0, 10_000_000, cancellationToken: ct))
            .WithSource(ct => TestSources.Range(0, 10_000_000, cancellationToken: ct))
            .WithHandler(async (_, _) =>
            {
                handling.TrySetResult();
                await Task.Yield();
            })
            .Start();
        await handling.Task.WaitAsync(TestSources.Hang);

        _ = CoordinatedShutdown.Get(Sys).Run(CoordinatedShutdown.UnknownReason.Instance);
        await Sys.WhenTerminated.WaitAsync(TestSources.Hang);

        Assert.True(pipeline.Completion.IsCompletedSuccessfully, "the report completed before the system terminated");
        var report = await pipeline.Completion;
        Assert.Equal(PipelineOutcome.Drained, report.Outcome);
        Assert.InRange(report.Produced, 1, 19_999_999);
        Assert.Equal(report.Produced, report.Succeeded + report.Failed);
        Assert.Equal(0, report.Abandoned);
    }

    [Fact]
    public async Task A_hundred_shutdowns_with_handlers_that_wait_for_their_token_all_end_with_a_drained_report()
    {
        // Each handler waits until its token is cancelled, so every drain runs into its deadline; the deadline must
        // leave the pipeline time to report inside the phase, or the system stops it first and its report faults.
        var config = ConfigurationFactory.ParseString("""
            akka.loglevel = ERROR
            akka.coordinated-shutdown.phases.service-requests-done.timeout = 1s
            """);
        var outcomes = new ConcurrentQueue<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 100), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (run, _) =>
        {
            using var system = Pipeline.CreateSystem($"shutdown-{run}", config);
            var handling = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var pipeline = Pipeline.Create<int>(system, "waits")
                .WithSource(ct => TestSources.Range(0, 1_000, cancellationToken: ct))
                .WithHandler(async (_, ct) =>
                {
                    handling.TrySetResult();
                    await Task.Delay(Timeout.Infinite, ct);
                })
                .Start();
            await handling.Task.WaitAsync(TestSources.Hang);

            await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.UnknownReason.Instance).WaitAsync(TestSources.Hang);

            if (!pipeline.Completion.IsCompletedSuccessfully)
            {
                outcomes.Enqueue($"not drained: {pipeline.Completion.Exception?.InnerException?.Message ?? pipeline.Completion.Status.ToString()}");
                return;
            }

            var report = await pipeline.Completion;
            outcomes.Enqueue($"{report.Outcome}, accounted: {report.Produced == report.Succeeded + report.Failed}");
        });

        Assert.Equal(Enumerable.Repeat("Drained, accounted: True", 100), outcomes);
    }

    [Fact]
    public void The_drain_deadline_leaves_a_fifth_of_the_phase_and_at_least_100_ms()
    {
        Assert.Equal(TimeSpan.FromSeconds(4), RunningPipelines.DrainDeadline(TimeSpan.FromSeconds(5)));
        Assert.Equal(TimeSpan.FromMilliseconds(200), RunningPipelines.DrainDeadline(TimeSpan.FromMilliseconds(300)));
        Assert.Equal(TimeSpan.FromMilliseconds(1), RunningPipelines.DrainDeadline(TimeSpan.FromMilliseconds(50)));
    }

    [Fact]
    public async Task Finished_pipelines_are_not_held_for_shutdown()
    {
        var pipeline = Pipeline.Create<int>(Sys, "finished")
            .WithSource(ct => TestSources.Range(0, 10, cancellationToken: ct))
            .WithHandler(_ => { })
            .Start();
        await pipeline.Completion.WaitAsync(TestSources.Hang);

        await AwaitAssertAsync(() => Assert.Equal(0, RunningPipelines.For(Sys).Count));
        await CoordinatedShutdown.Get(Sys).Run(CoordinatedShutdown.UnknownReason.Instance).WaitAsync(TestSources.Hang);
    }
}
