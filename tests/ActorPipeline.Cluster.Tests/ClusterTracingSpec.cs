using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Configuration;

namespace ActorPipeline.Cluster.Tests;

/// <summary>An item's trace crosses nodes: the process span on a worker continues the publish span on the front.</summary>
public sealed class ClusterTracingSpec : IDisposable
{
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public ClusterTracingSpec()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "ActorPipeline",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    [Fact]
    public async Task A_worker_s_process_span_continues_the_front_s_publish_span()
    {
        await using var nodes = await ClusterNodes.StartFrontAsync(ClusterPipeline.PoolDeployment("traced-cluster", perNode: 2));
        await nodes.AddWorkerAsync();

        var report = await Pipeline.Create<long>(nodes.Front, "traced-cluster")
            .WithSource(_ => Numbers(200))
            .WithHandler<WhereHandled, string>(_ => { })
            .Start().Completion.WaitAsync(TimeSpan.FromSeconds(90));

        Assert.Equal(200L, report.Succeeded);
        var mine = _stopped.Where(a => Equals(a.GetTagItem("messaging.destination.name"), "traced-cluster")).ToArray();
        var publishes = mine.Where(a => a.Kind == ActivityKind.Producer).ToArray();
        var processes = mine.Where(a => a.Kind == ActivityKind.Consumer).ToArray();
        Assert.NotEmpty(processes);
        Assert.All(processes, p => Assert.Contains(publishes, pub => pub.SpanId == p.ParentSpanId && pub.TraceId == p.TraceId));
        Assert.Equal(200, processes.Sum(p => p.GetTagItem("messaging.batch.message_count") as int? ?? 1));
    }

    private static async IAsyncEnumerable<long> Numbers(long count)
    {
        for (var i = 0L; i < count; i++)
            yield return i;
        await Task.CompletedTask;
    }

    public void Dispose() => _listener.Dispose();
}
