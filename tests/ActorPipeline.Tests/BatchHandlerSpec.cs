using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Configuration;
using Xunit.Abstractions;

namespace ActorPipeline.Tests;

/// <summary>Batch handlers: up to max-items at once, fewer once the oldest has waited max-wait; a batch that throws
/// retries its items, a handler can fail single items, and every item is counted once.</summary>
public sealed class BatchHandlerSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.loglevel = ERROR"), output: output)
{
    private static readonly TimeSpan Forever = TimeSpan.FromHours(1);

    [Fact]
    public async Task Batches_hold_up_to_max_items_and_the_rest_go_when_the_producers_are_done()
    {
        var batches = new ConcurrentQueue<int[]>();
        var pipeline = Pipeline.Create<int>(Sys, "full-batches")
            .WithSettings(s => s.WithConsumers(1))
            .WithSource(ct => TestSources.Range(0, 25, cancellationToken: ct))
            .WithBatchHandler((batch, _) =>
            {
                batches.Enqueue(batch.ToArray());
                return ValueTask.CompletedTask;
            }, maxItems: 10, maxWait: Forever)
            .Start();

        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.Equal((25L, 25L, 0L), (report.Produced, report.Succeeded, report.Failed));
        Assert.Equal([10, 10, 5], batches.Select(b => b.Length));
        Assert.Equal(Enumerable.Range(0, 25), batches.SelectMany(b => b).Order());
    }

    [Fact]
    public async Task A_batch_that_is_not_full_goes_once_its_oldest_item_has_waited_max_wait()
    {
        var handled = new TaskCompletionSource<(int Count, long At)>(TaskCreationOptions.RunContinuationsAsynchronously);
        long sent = 0;
        async IAsyncEnumerable<int> ThreeThenQuiet([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            sent = Stopwatch.GetTimestamp();
            yield return 1;
            yield return 2;
            yield return 3;
            await Task.Delay(Timeout.Infinite, ct);
        }

        var pipeline = Pipeline.Create<int>(Sys, "max-wait")
            .WithSource(ThreeThenQuiet)
            .WithBatchHandler((batch, _) =>
            {
                handled.TrySetResult((batch.Count, Stopwatch.GetTimestamp()));
                return ValueTask.CompletedTask;
            }, maxItems: 100, maxWait: TimeSpan.FromMilliseconds(200))
            .Start();

        var (count, at) = await handled.Task.WaitAsync(TestSources.Hang);

        Assert.Equal(3, count);
        // Never sooner than max-wait after the items were sent (later is allowed: a busy machine).
        Assert.True(Stopwatch.GetElapsedTime(sent, at) >= TimeSpan.FromMilliseconds(199), $"after {Stopwatch.GetElapsedTime(sent, at).TotalMilliseconds} ms");
        await pipeline.AbortAsync().WaitAsync(TestSources.Hang);
    }

    [Fact]
    public async Task A_batch_that_throws_is_tried_again_with_every_try_counted()
    {
        var calls = 0;
        var pipeline = Pipeline.Create<int>(Sys, "batch-throws")
            .WithSettings(s => s.WithConsumers(1).WithMaxRetries(1))
            .WithSource(ct => TestSources.Range(0, 10, cancellationToken: ct))
            .WithBatchHandler((batch, _) => Interlocked.Increment(ref calls) == 1
                ? throw new InvalidOperationException("database restarting")
                : ValueTask.CompletedTask, maxItems: 10, maxWait: Forever)
            .Start();

        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.Equal((10L, 10L, 0L, 10L), (report.Produced, report.Succeeded, report.Failed, report.Retried));
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task A_handler_fails_single_items_which_are_retried_alone_and_fail_with_their_tries_counted()
    {
        var seen = new ConcurrentQueue<int[]>();
        var failed = new ConcurrentQueue<ItemFailure<int>>();
        var pipeline = Pipeline.Create<int>(Sys, "fail-one")
            .WithSettings(s => s.WithConsumers(1).WithMaxRetries(2))
            .WithSource(ct => TestSources.Range(0, 10, cancellationToken: ct))
            .WithBatchHandler((batch, _) =>
            {
                seen.Enqueue(batch.ToArray());
                for (var i = 0; i < batch.Count; i++)
                {
                    if (batch[i] == 3)
                        batch.Fail(i, new ArgumentException("row 3 violates a constraint"));
                }

                return ValueTask.CompletedTask;
            }, maxItems: 10, maxWait: Forever)
            .OnFailedItem(failed.Enqueue)
            .Start();

        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.Equal((10L, 9L, 1L, 2L), (report.Produced, report.Succeeded, report.Failed, report.Retried));
        Assert.Equal([Enumerable.Range(0, 10).ToArray(), [3], [3]], seen.ToArray());
        var failure = Assert.Single(failed);
        Assert.Equal((3, 3, "row 3 violates a constraint"), (failure.Item, failure.Attempts, failure.Cause.Message));
    }

    [Fact]
    public async Task Under_a_retry_backoff_a_failed_batch_waits_in_the_pipeline_and_comes_back_as_a_batch()
    {
        var batches = new ConcurrentQueue<int>();
        var pipeline = Pipeline.Create<int>(Sys, "batch-backoff")
            .WithSettings(s => s.WithConsumers(1).WithMaxRetries(1).WithRetryBackoff(TimeSpan.FromMilliseconds(20), jitter: 0))
            .WithSource(ct => TestSources.Range(0, 10, cancellationToken: ct))
            .WithBatchHandler((batch, _) =>
            {
                batches.Enqueue(batch.Count);
                return batches.Count == 1 ? throw new TimeoutException("busy") : ValueTask.CompletedTask;
            }, maxItems: 10, maxWait: Forever)
            .Start();

        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.Equal((10L, 10L, 0L, 10L), (report.Produced, report.Succeeded, report.Failed, report.Retried));
        Assert.Equal(10, batches.Skip(1).Sum());
    }

    [Fact]
    public async Task A_batch_handler_type_is_created_per_routee()
    {
        CountingBatchHandler.Items = 0;
        var pipeline = Pipeline.Create<int>(Sys, "batch-type")
            .WithSource(ct => TestSources.Range(0, 100, cancellationToken: ct))
            .WithBatchHandler<CountingBatchHandler>(maxItems: 16, maxWait: TimeSpan.FromMilliseconds(5))
            .Start();

        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.Equal(100L, report.Succeeded);
        Assert.Equal(100, CountingBatchHandler.Items);
    }

    [Fact]
    public void A_batch_larger_than_the_capacity_is_refused_at_start()
    {
        var builder = Pipeline.Create<int>(Sys, "batch-too-big")
            .WithSettings(s => s.WithCapacity(8))
            .WithSource(ct => TestSources.Range(0, 1, cancellationToken: ct))
            .WithBatchHandler((_, _) => ValueTask.CompletedTask, maxItems: 10, maxWait: Forever);

        var error = Assert.Throws<ConfigurationException>(() => builder.Start());

        Assert.Contains("a batch of 10 items does not fit its capacity of 8", error.Message);
    }

    private sealed class CountingBatchHandler : IBatchHandler<int>
    {
        public static int Items;

        public ValueTask HandleAsync(Batch<int> batch, CancellationToken cancellationToken)
        {
            Assert.InRange(batch.Count, 1, 16);
            Interlocked.Add(ref Items, batch.Count);
            return ValueTask.CompletedTask;
        }
    }
}
