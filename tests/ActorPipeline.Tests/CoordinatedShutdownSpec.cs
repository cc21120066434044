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
    public async Task Finished_pipelines_are_not_held_for_shutdown()
    {
        var pipeline = Pipeline.Create<int>(Sys, "finished")
            .WithSource(ct => TestSources.Range(0, 10, cancellationToken: ct))
            .WithHandler(_ => { })
            .Start();
        await pipeline.Completion.WaitAsync(TestSources.Hang);

        await AwaitAssertAsync(() => Assert.Equal(0, ActorPipeline.Internal.RunningPipelines.For(Sys).Count));
        await CoordinatedShutdown.Get(Sys).Run(CoordinatedShutdown.UnknownReason.Instance).WaitAsync(TestSources.Hang);
    }
}
