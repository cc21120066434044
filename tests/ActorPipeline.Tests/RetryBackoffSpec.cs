using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Configuration;
using Xunit.Abstractions;

namespace ActorPipeline.Tests;

/// <summary>Under a retry backoff a failed item waits in the pipeline, not at its consumer, holding its place in the
/// capacity; the waits grow; a deadline or an abort ends them.</summary>
public sealed class RetryBackoffSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.loglevel = ERROR"), output: output)
{
    private static readonly TimeSpan Forever = TimeSpan.FromHours(1);

    [Fact]
    public async Task While_a_failed_item_waits_its_consumer_handles_the_others_and_the_item_holds_its_place_in_the_capacity()
    {
        // The only consumer would be busy retrying item 0 for good without a backoff; with one, item 0 waits an hour
        // in the pipeline while the consumer handles every other item.
        var pipeline = Pipeline.Create<int>(Sys, "waits-aside")
            .WithSettings(s => s.WithConsumers(1).WithCapacity(4).WithMaxRetries(1).WithRetryBackoff(Forever, Forever))
            .WithSource(ct => TestSources.Range(0, 10, cancellationToken: ct))
            .WithHandler(item =>
            {
                if (item == 0)
                    throw new InvalidOperationException("not yet");
            })
            .Start();

        await AwaitAssertAsync(async () =>
        {
            var status = await pipeline.GetStatusAsync();
            Assert.Equal((10L, 9L, 0L, 1L, 1L, 1L), (status.Produced, status.Succeeded, status.Failed, status.Retried, status.WaitingToRetry, status.InFlight));
        });

        // A drain's deadline ends the wait as it ends other work: the item is reported abandoned, tried once.
        var report = await pipeline.DrainAsync(TimeSpan.FromMilliseconds(100)).WaitAsync(TestSources.Hang);

        Assert.Equal((10L, 9L, 1L, 1L, 1L), (report.Produced, report.Succeeded, report.Failed, report.Abandoned, report.Retried));
        var abandoned = Assert.Single(report.Failures);
        Assert.Equal((0, 1), ((int)abandoned.Item!, abandoned.Attempts));
        Assert.IsType<ItemAbandonedException>(abandoned.Cause);
    }

    [Fact]
    public async Task Each_retry_comes_after_a_wait_that_grows_by_the_factor_and_an_item_that_recovers_succeeds()
    {
        var tries = new ConcurrentDictionary<int, ConcurrentQueue<long>>();
        var pipeline = Pipeline.Create<int>(Sys, "grows")
            .WithSettings(s => s.WithConsumers(2).WithMaxRetries(3).WithRetryBackoff(TimeSpan.FromMilliseconds(40), TimeSpan.FromSeconds(10), factor: 2, jitter: 0))
            .WithSource(ct => TestSources.Range(0, 20, cancellationToken: ct))
            .WithHandler(item =>
            {
                var times = tries.GetOrAdd(item, _ => new ConcurrentQueue<long>());
                times.Enqueue(Stopwatch.GetTimestamp());
                // Items divisible by 5 fail their first three tries, as a service does while it restarts.
                if (item % 5 == 0 && times.Count <= 3)
                    throw new TimeoutException("service restarting");
            })
            .Start();

        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.Equal((20L, 20L, 0L, 12L), (report.Produced, report.Succeeded, report.Failed, report.Retried));
        foreach (var item in new[] { 0, 5, 10, 15 })
        {
            var times = tries[item].ToArray();
            Assert.Equal(4, times.Length);
            // The waits are at least 40, 80 and 160 ms: nothing retries sooner (later is allowed: a busy machine).
            for (var retry = 1; retry <= 3; retry++)
                Assert.True(Stopwatch.GetElapsedTime(times[retry - 1], times[retry]) >= TimeSpan.FromMilliseconds(40 << (retry - 1)) - TimeSpan.FromMilliseconds(1),
                    $"item {item}: retry {retry} came {Stopwatch.GetElapsedTime(times[retry - 1], times[retry]).TotalMilliseconds} ms after the try before");
        }
    }

    [Fact]
    public async Task An_item_that_keeps_failing_fails_after_its_retries_with_every_try_counted()
    {
        var failed = new ConcurrentQueue<ItemFailure>();
        var pipeline = Pipeline.Create<int>(Sys, "keeps-failing")
            .WithSettings(s => s.WithMaxRetries(2).WithRetryBackoff(TimeSpan.FromMilliseconds(10)))
            .WithSource(ct => TestSources.Range(0, 3, cancellationToken: ct))
            .WithHandler<int>(item => item == 1 ? throw new InvalidOperationException("broken item") : item * 10, _ => { })
            .OnFailedItem(failed.Enqueue)
            .Start();

        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.Equal((3L, 2L, 1L, 2L), (report.Produced, report.Succeeded, report.Failed, report.Retried));
        var failure = Assert.Single(failed);
        Assert.Equal((1, 3, "broken item"), ((int)failure.Item!, failure.Attempts, failure.Cause.Message));
    }

    [Fact]
    public async Task An_abort_fails_the_items_waiting_to_retry_at_once()
    {
        var pipeline = Pipeline.Create<int>(Sys, "abort-waiting")
            .WithSettings(s => s.WithMaxRetries(5).WithRetryBackoff(Forever, Forever).WithKeepAlive(true))
            .WithSource(ct => TestSources.Range(0, 3, cancellationToken: ct))
            .WithHandler(_ => throw new InvalidOperationException("down"))
            .Start();
        await AwaitAssertAsync(async () => Assert.Equal(3, (await pipeline.GetStatusAsync()).WaitingToRetry));

        var report = await pipeline.AbortAsync().WaitAsync(TestSources.Hang);

        Assert.Equal((3L, 0L, 3L), (report.Produced, report.Succeeded, report.Failed));
        Assert.All(report.Failures, f => Assert.Contains("waited to be tried again", f.Cause.Message));
    }
}
