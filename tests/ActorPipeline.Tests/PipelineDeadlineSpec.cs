using System.Collections.Concurrent;
using Akka.Configuration;
using Xunit.Abstractions;

namespace ActorPipeline.Tests;

/// <summary>Deadlines — the stop deadline, a consumer's timeout — give up only what is unfinished, and say so item by item.</summary>
public sealed class PipelineDeadlineSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.loglevel = ERROR"), output: output)
{
    [Fact]
    public async Task At_a_drain_deadline_finished_items_keep_their_outcome_and_each_unfinished_one_is_reported_abandoned()
    {
        var failed = new ConcurrentQueue<ItemFailure>();
        var finished = 0;
        var pipeline = Pipeline.Create<int>(Sys, "deadline")
            .WithSettings(s => s.WithConsumers(1).WithChunkSize(20))
            .WithSource(ct => TestSources.Range(0, 20, cancellationToken: ct))
            .WithHandler(async (item, ct) =>
            {
                if (item == 3)
                    throw new InvalidOperationException("three fails");
                if (item >= 10)
                    await Task.Delay(Timeout.Infinite, ct);
                Interlocked.Increment(ref finished);
            })
            .OnFailedItem(failed.Enqueue)
            .Start();
        await AwaitAssertAsync(async () => Assert.Equal(10, (await pipeline.GetStatusAsync()).Succeeded + (await pipeline.GetStatusAsync()).Failed));

        var report = await pipeline.DrainAsync(TimeSpan.FromMilliseconds(200)).WaitAsync(TestSources.Hang);

        Assert.Equal(PipelineOutcome.Drained, report.Outcome);
        Assert.Equal((20L, 9L, 11L, 10L), (report.Produced, report.Succeeded, report.Failed, report.Abandoned));
        Assert.Equal(9, Volatile.Read(ref finished));
        Assert.Equal("three fails", report.Failures.Single(f => (int)f.Item! == 3).Cause.Message);
        var abandoned = report.Failures.Where(f => f.Cause is ItemAbandonedException).ToArray();
        Assert.Equal(Enumerable.Range(10, 10), abandoned.Select(f => (int)f.Item!).Order());
        Assert.All(abandoned, f => Assert.Contains("stop deadline", f.Cause.Message));
        Assert.Equal(report.Failures.Select(f => f.Item).Order(), failed.Select(f => f.Item).Order());
    }

    [Fact]
    public async Task Items_still_queued_at_a_drain_deadline_are_reported_abandoned_too()
    {
        var failed = new ConcurrentQueue<ItemFailure>();
        var pipeline = Pipeline.Create<int>(Sys, "queued-at-deadline")
            .WithSettings(s => s.WithConsumers(1).WithChunkSize(1).WithParallelism(1))
            .WithSource(ct => TestSources.Range(0, 50, cancellationToken: ct))
            .WithHandler(async (_, ct) => await Task.Delay(Timeout.Infinite, ct))
            .OnFailedItem(failed.Enqueue)
            .Start();
        await AwaitAssertAsync(async () => Assert.Equal(50, (await pipeline.GetStatusAsync()).Produced));

        var report = await pipeline.DrainAsync(TimeSpan.FromMilliseconds(100)).WaitAsync(TestSources.Hang);

        Assert.Equal((50L, 0L, 50L, 50L), (report.Produced, report.Succeeded, report.Failed, report.Abandoned));
        Assert.Equal(50, failed.Count);
        Assert.All(failed, f => Assert.IsType<ItemAbandonedException>(f.Cause));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(1)] // the pool's only routee is replaced: the pool must not stop for a moment without routees
    public async Task A_synchronous_handler_that_never_returns_is_noticed_its_routee_replaced_and_only_its_item_failed(int consumers)
    {
        var released = false;
        try
        {
            var pipeline = Pipeline.Create<int>(Sys, $"stuck-{consumers}")
                .WithSettings(s => s.WithConsumers(consumers).WithChunkSize(20).WithConsumerTimeout(TimeSpan.FromMilliseconds(200)))
                .WithSource(ct => TestSources.Range(0, 40, cancellationToken: ct))
                .WithHandler(item =>
                {
                    // Stands for a handler blocked for good in a synchronous call: it returns only when the spec ends.
                    while (item == 7 && !Volatile.Read(ref released))
                        Thread.Yield();
                })
                .Start();

            var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

            Assert.Equal((40L, 39L, 1L), (report.Produced, report.Succeeded, report.Failed));
            var stuck = Assert.Single(report.Failures);
            Assert.Equal(7, stuck.Item);
            Assert.Contains("finished nothing for longer than consumer-timeout", Assert.IsType<TimeoutException>(stuck.Cause).Message);
        }
        finally
        {
            Volatile.Write(ref released, true);
        }
    }

    [Fact]
    public async Task A_stuck_consumer_is_noticed_in_consumer_timeout_and_a_margin_whatever_the_chunk_size()
    {
        // An asynchronous handler that ignores its token: the routee gives the item up after consumer-timeout, and the
        // items after it in the same large chunk go on; nothing waits for the chunk's size times the timeout.
        var pipeline = Pipeline.Create<int>(Sys, "large-chunk")
            .WithSettings(s => s.WithConsumers(1).WithChunkSize(256).WithConsumerTimeout(TimeSpan.FromMilliseconds(300)))
            .WithSource(ct => TestSources.Range(0, 256, cancellationToken: ct))
            .WithHandler(async (item, _) =>
            {
                if (item == 0)
                    await Task.Delay(Timeout.Infinite, CancellationToken.None);
            })
            .Start();

        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        // Failed once under a loaded full-suite run and never alone: the failures' causes say which deadline fired.
        Assert.True((report.Produced, report.Succeeded, report.Failed) == (256L, 255L, 1L),
            $"Expected 256 produced, 255 succeeded, 1 failed; got {report.Produced}, {report.Succeeded}, {report.Failed}: "
            + string.Join(" | ", report.Failures.Select(f => $"{f.Item}: {f.Cause.GetType().Name}: {f.Cause.Message}")));
        Assert.IsType<TimeoutException>(Assert.Single(report.Failures).Cause);
    }
}
