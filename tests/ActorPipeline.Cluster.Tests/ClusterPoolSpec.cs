using Akka.Actor;
using Akka.Configuration;

namespace ActorPipeline.Cluster.Tests;

/// <summary>A pipeline whose consumer pool is deployed on worker nodes by configuration: the work spreads over them,
/// results come back, and a worker's death loses nothing.</summary>
public sealed class ClusterPoolSpec
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(90);

    private static Config Front(string pipeline, int perNode = 2) =>
        ConfigurationFactory.ParseString("""
            actor-pipeline {
              consumer-timeout = 5s
            }
            """).WithFallback(ClusterPipeline.PoolDeployment(pipeline, perNode));

    private static async IAsyncEnumerable<long> Numbers(long count)
    {
        for (var i = 0L; i < count; i++)
            yield return i;
        await Task.CompletedTask;
    }

    // Items faster than the workers take them (a pause of a millisecond or so every 20 items), for a run that outlasts a
    // worker's loss.
    private static async IAsyncEnumerable<long> Paced(long count)
    {
        for (var i = 0L; i < count; i++)
        {
            if (i % 20 == 0)
                await Task.Delay(1);
            yield return i;
        }
    }

    [Fact]
    public async Task Items_wait_for_workers_then_spread_over_them_and_every_result_comes_back_once()
    {
        await using var nodes = await ClusterNodes.StartFrontAsync(Front("spread"));
        var results = new List<string>();

        // Started before any worker exists: the pool has no routee yet, and the items wait for one.
        var pipeline = Pipeline.Create<long>(nodes.Front, "spread")
            .WithSource(_ => Numbers(20_000))
            .WithHandler<WhereHandled, string>(results.Add)
            .Start();
        var first = await nodes.AddWorkerAsync();
        var second = await nodes.AddWorkerAsync();

        var report = await pipeline.Completion.WaitAsync(Hang);

        Assert.Equal((20_000L, 20_000L, 0L), (report.Produced, report.Succeeded, report.Failed));
        Assert.Equal(Enumerable.Range(0, 20_000).Select(i => (long)i), results.Select(r => long.Parse(r[..r.IndexOf('@')])).Order());
        var ports = results.Select(r => int.Parse(r[(r.IndexOf('@') + 1)..])).ToHashSet();
        Assert.Contains(Port(first), ports);
        Assert.DoesNotContain(Port(nodes.Front), ports);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_worker_that_dies_or_leaves_mid_run_loses_no_item_and_the_report_is_exact(bool leaves)
    {
        var pipelineName = leaves ? "leave" : "survive";
        await using var nodes = await ClusterNodes.StartFrontAsync(Front(pipelineName));
        var survivor = await nodes.AddWorkerAsync();
        var victim = await nodes.AddWorkerAsync();
        var results = new List<string>();
        var gone = false;
        const int items = 4_000;

        var pipeline = Pipeline.Create<long>(nodes.Front, pipelineName)
            .WithSource(_ => Numbers(items))
            .WithHandler<SlowWhereHandled, string>(result =>
            {
                results.Add(result);
                if (!gone && result.EndsWith($"@{Port(victim)}", StringComparison.Ordinal))
                {
                    // The victim has handled items and holds more: it leaves the cluster, or its system ends without
                    // leaving.
                    gone = true;
                    _ = leaves ? Akka.Cluster.Cluster.Get(victim).LeaveAsync() : victim.Terminate();
                }
            })
            .Start();

        var report = await pipeline.Completion.WaitAsync(Hang);

        Assert.True(gone);
        Assert.Equal(items, report.Produced);
        Assert.Equal(report.Produced, report.Succeeded + report.Failed);
        Assert.True(report.Failed == 0, $"{report.Failed} failed, for example: " + string.Join(" | ", report.Failures.Take(3).Select(f => $"{f.Item}: {f.Cause}")));
        Assert.Equal(Enumerable.Range(0, items).Select(i => (long)i), results.Select(r => long.Parse(r[..r.IndexOf('@')])).Order());
        Assert.Contains(results, r => r.EndsWith($"@{Port(survivor)}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Ordering_keys_hold_each_keys_order_on_the_workers_when_one_dies_mid_run()
    {
        await using var nodes = await ClusterNodes.StartFrontAsync(Front("keyed"));
        var survivor = await nodes.AddWorkerAsync();
        var victim = await nodes.AddWorkerAsync();
        var results = new List<string>();
        var gone = false;
        const int items = 3_000;

        var pipeline = Pipeline.Create<long>(nodes.Front, "keyed")
            .WithSource(_ => Numbers(items))
            .WithOrderingKey(item => item % 16)
            .WithHandler<StartRecorder, string>(result =>
            {
                results.Add(result);
                if (!gone && result.EndsWith($"@{Port(victim)}", StringComparison.Ordinal))
                {
                    gone = true;
                    _ = victim.Terminate();
                }
            })
            .Start();

        var report = await pipeline.Completion.WaitAsync(Hang);

        Assert.True(gone);
        Assert.Equal((items, items, 0L), (report.Produced, report.Succeeded, report.Failed));
        Assert.Equal(Enumerable.Range(0, items).Select(i => (long)i), results.Select(r => long.Parse(r[..r.IndexOf('@')])).Order());
        // Each key's tries start in order: an item lost with the victim goes again before any later item of its key.
        foreach (var key in StartRecorder.Starts.GroupBy(item => item % 16))
        {
            var starts = key.ToArray();
            for (var i = 1; i < starts.Length; i++)
                Assert.True(starts[i] >= starts[i - 1], $"key {key.Key}: {starts[i]} started after {starts[i - 1]}");
        }
    }

    [Theory]
    [InlineData(OverflowMode.DropOldest)]
    [InlineData(OverflowMode.DropIncoming)]
    public async Task In_a_drop_mode_a_worker_lost_mid_run_leaves_every_item_handled_or_dropped_once(OverflowMode mode)
    {
        var pipelineName = $"drops-{PipelineSettings.OverflowName(mode)}";
        await using var nodes = await ClusterNodes.StartFrontAsync(Front(pipelineName));
        var survivor = await nodes.AddWorkerAsync();
        var victim = await nodes.AddWorkerAsync();
        var results = new List<string>();
        var dropped = new System.Collections.Concurrent.ConcurrentQueue<long>();
        var gone = false;
        const int items = 4_000;

        var pipeline = Pipeline.Create<long>(nodes.Front, pipelineName)
            .WithSettings(s => s.WithCapacity(64))
            .WithOverflow(mode)
            .WithSource(_ => Paced(items))
            .WithHandler<SlowWhereHandled, string>(result =>
            {
                results.Add(result);
                if (!gone && result.EndsWith($"@{Port(victim)}", StringComparison.Ordinal))
                {
                    gone = true;
                    _ = victim.Terminate();
                }
            })
            .OnDroppedItem((item, _) => dropped.Enqueue(item))
            .Start();

        var report = await pipeline.Completion.WaitAsync(Hang);

        // Items the victim held are sent again (they were taken, not waiting), so none is dropped for the loss, and each
        // item ends once: handled on a worker, or dropped.
        Assert.True(gone);
        Assert.Equal((items, 0L), (report.Produced, report.Failed));
        Assert.Equal(report.Produced, report.Succeeded + report.Dropped);
        Assert.Equal((report.Succeeded, report.Dropped), (results.Count, dropped.Count));
        Assert.Equal(Enumerable.Range(0, items).Select(i => (long)i),
            results.Select(r => long.Parse(r[..r.IndexOf('@')])).Concat(dropped).Order());
    }

    [Fact]
    public async Task A_delegate_handler_with_a_cluster_pool_is_refused_at_start_with_what_to_use_instead()
    {
        await using var nodes = await ClusterNodes.StartFrontAsync(Front("delegates"));

        var error = Assert.Throws<ConfigurationException>(() => Pipeline.Create<long>(nodes.Front, "delegates")
            .WithSource(_ => Numbers(1))
            .WithHandler(_ => { })
            .Start());

        Assert.Contains("WithHandler<THandler>()", error.Message);
        Assert.Contains("\"/delegates/consumers\"", error.Message);
    }

    [Fact]
    public async Task A_batch_handler_type_runs_on_the_workers_and_items_it_fails_come_back_after_their_backoff()
    {
        await using var nodes = await ClusterNodes.StartFrontAsync(ConfigurationFactory.ParseString("""
            actor-pipeline { max-retries = 1, retry-backoff.min = 20ms }
            """).WithFallback(Front("batches")));
        var worker = await nodes.AddWorkerAsync();
        await nodes.AddWorkerAsync();

        var report = await Pipeline.Create<long>(nodes.Front, "batches")
            .WithSource(_ => Numbers(2_000))
            .WithBatchHandler<RecordingBatchHandler>(maxItems: 50, maxWait: TimeSpan.FromMilliseconds(20))
            .Start().Completion.WaitAsync(Hang);

        Assert.Equal((2_000L, 2_000L, 0L, 20L), (report.Produced, report.Succeeded, report.Failed, report.Retried));
        Assert.All(RecordingBatchHandler.Batches, b => Assert.InRange(b.Size, 1, 50));
        Assert.Equal(2_020, RecordingBatchHandler.Batches.Sum(b => b.Size));
        Assert.Contains(RecordingBatchHandler.Batches, b => b.Port == Port(worker));
        Assert.DoesNotContain(RecordingBatchHandler.Batches, b => b.Port == Port(nodes.Front));
    }

    private static int Port(ActorSystem system) => ((ExtendedActorSystem)system).Provider.DefaultAddress.Port ?? 0;
}
