using ActorPipeline.Hosting;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorPipeline.Cluster.Hosting.Tests;

/// <summary>A front and a worker made from Akka.Hosting builders form a cluster, and the front's pipeline runs on the worker.</summary>
public sealed class ClusterHostingExtensionsSpec
{
    private const string SystemName = "cluster-hosting-spec";
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(90);

    private sealed class OrdersPipeline;

    /// <summary>Returns the port of the node it ran on: the front deploys no routee of its own, so only a worker's port can appear.</summary>
    public sealed class WhereHandled : IItemHandler<int, int>
    {
        public ValueTask<int> HandleAsync(int item, CancellationToken cancellationToken) =>
            ValueTask.FromResult(Akka.Actor.Internal.InternalCurrentActorCellKeeper.Current!.SystemImpl.Provider.DefaultAddress.Port ?? 0);
    }

    [Fact]
    public async Task A_front_and_a_worker_built_with_akka_hosting_run_the_front_s_pipeline_on_the_worker()
    {
        var ct = TestContext.Current.CancellationToken;
        var started = new TaskCompletionSource<PipelineHandle>(TaskCreationOptions.RunContinuationsAsynchronously);
        var ports = new System.Collections.Concurrent.ConcurrentBag<int>();

        using var front = Node(akka => akka
            .WithActorPipelineCluster(new PipelineClusterOptions())
            .AddHocon(ClusterPipeline.PoolDeployment("orders", perNode: 2), HoconAddMode.Prepend)
            .WithActorPipeline<int, OrdersPipeline>(
                "orders",
                pipeline => pipeline.WithSource(_ => Range(2_000)).WithHandler<WhereHandled, int>(ports.Add),
                started: started.SetResult));
        await front.StartAsync(ct);
        var frontSystem = front.Services.GetRequiredService<ActorSystem>();
        var seed = Akka.Cluster.Cluster.Get(frontSystem).SelfAddress;

        using var worker = Node(akka => akka.WithActorPipelineWorker(new PipelineClusterOptions { SeedNodes = [seed.ToString()] }));
        await worker.StartAsync(ct);
        var workerPort = Akka.Cluster.Cluster.Get(worker.Services.GetRequiredService<ActorSystem>()).SelfAddress.Port;

        var report = await (await started.Task.WaitAsync(Hang, ct)).Completion.WaitAsync(Hang, ct);

        Assert.Equal((2_000L, 2_000L, 0L), (report.Produced, report.Succeeded, report.Failed));
        Assert.Equal([workerPort ?? -1], ports.Distinct());
        Assert.True(ClusterPipeline.HasWireFormat(frontSystem));
        await worker.StopAsync(ct);
        await front.StopAsync(ct);
    }

    private static IHost Node(Action<AkkaConfigurationBuilder> configure)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddAkka(SystemName, (akka, _) => configure(akka));
        return builder.Build();
    }

    private static async IAsyncEnumerable<int> Range(int count)
    {
        for (var i = 0; i < count; i++)
            yield return i;
        await Task.CompletedTask;
    }
}
