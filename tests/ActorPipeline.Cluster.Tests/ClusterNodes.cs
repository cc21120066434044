using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;

namespace ActorPipeline.Cluster.Tests;

/// <summary>ActorSystems in this process that form one cluster on 127.0.0.1, each on a free port: a front node that runs
/// pipelines and workers that host their routees.</summary>
public sealed class ClusterNodes : IAsyncDisposable
{
    private const string SystemName = "cluster-spec";

    // Terminating a worker's system must look like a crash to the others: no graceful leave first.
    private static readonly Config Abrupt = ConfigurationFactory.ParseString("""
        akka.coordinated-shutdown.run-by-actor-system-terminate = off
        akka.loglevel = WARNING
        """);

    private readonly List<ActorSystem> _workers = [];

    private ClusterNodes(ActorSystem front) => Front = front;

    public ActorSystem Front { get; }

    public IReadOnlyList<ActorSystem> Workers => _workers;

    /// <summary>A front node whose config adds <paramref name="frontConfig"/> (a pool deployment, pipeline settings), alone in its cluster.</summary>
    public static async Task<ClusterNodes> StartFrontAsync(Config frontConfig)
    {
        var front = ActorSystem.Create(SystemName, frontConfig.WithFallback(Abrupt).WithFallback(ClusterPipeline.NodeConfig(SystemName, new PipelineClusterOptions())));
        var nodes = new ClusterNodes(front);
        ClusterPipeline.Join(front, new PipelineClusterOptions());
        await nodes.AwaitUpAsync(1);
        return nodes;
    }

    /// <summary>Starts a worker that joins the front node; returns once the front sees it up.</summary>
    public async Task<ActorSystem> AddWorkerAsync()
    {
        var seed = Akka.Cluster.Cluster.Get(Front).SelfAddress.ToString();
        var options = new PipelineClusterOptions { SeedNodes = [seed], Roles = [ClusterPipeline.WorkerRole] };
        var worker = ActorSystem.Create(SystemName, Abrupt.WithFallback(ClusterPipeline.NodeConfig(SystemName, options)));
        _workers.Add(worker);
        ClusterPipeline.Join(worker, options);
        await AwaitUpAsync(1 + _workers.Count(w => !w.WhenTerminated.IsCompleted));
        return worker;
    }

    private async Task AwaitUpAsync(int members)
    {
        var cluster = Akka.Cluster.Cluster.Get(Front);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (cluster.State.Members.Count(m => m.Status == MemberStatus.Up) < members)
            await Task.Delay(50, deadline.Token);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var system in _workers.Append(Front))
            await system.Terminate();
    }
}
