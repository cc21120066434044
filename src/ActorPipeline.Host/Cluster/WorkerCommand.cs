using System.CommandLine;
using ActorPipeline.Cluster;
using ActorPipeline.Cluster.Hosting;
using Akka.Actor;
using Akka.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ActorPipeline.Host;

/// <summary>A worker node: joins a cluster and hosts the consumer routees that front nodes deploy on it, until stopped.</summary>
internal static class WorkerCommand
{
    public static void Configure(RootCommand root, Config config, HostConsole console)
    {
        var cluster = new ClusterFlags();
        var role = new Option<string>("--role")
        {
            Description = "The cluster role this node takes; front nodes deploy routees on nodes of their pool's use-role.",
            DefaultValueFactory = _ => ClusterPipeline.WorkerRole,
        };
        var verbose = new Option<bool>("--verbose") { Description = "Log what Akka does (information level, on stderr)." };
        var otel = HostTelemetry.Flag();

        var worker = new Command("worker", "Join a cluster (or, without --seed-nodes, form one) and host the consumers of the jobs run on its front nodes, until stopped (Ctrl+C or SIGTERM leaves the cluster).");
        cluster.AddTo(worker);
        worker.Options.Add(role);
        worker.Options.Add(verbose);
        worker.Options.Add(otel);
        worker.SetAction((parsed, _) => RunAsync(config, cluster.Given(parsed), parsed.GetValue(role)!, parsed.GetValue(verbose), parsed.GetValue(otel), console));
        root.Subcommands.Add(worker);
    }

    // The handlers of the host's jobs: the only ones a worker lets a front deploy on it, and so the only item and result
    // types it reads.
    private static readonly Type[] HostedHandlers = [typeof(DemoHandler), typeof(HashHandler), typeof(IngestHandler)];

    private static async Task<int> RunAsync(Config config, ClusterRequest request, string role, bool verbose, HostTelemetry? telemetry, HostConsole console)
    {
        // Without seed nodes the worker forms the cluster itself, and front nodes and other workers join it.
        var options = new PipelineClusterOptions();
        using var host = JobHost.Build(config, verbose, "Worker", telemetry, console.Error, configuration =>
        {
            options = ((request.Resolve(config, configuration) ?? request.WithTls(options)) with { Roles = [role], Handlers = HostedHandlers }).Validate();
            return (akka, _) => akka.WithActorPipelineWorker(options);
        });
        await host.StartAsync();
        var system = host.Services.GetRequiredService<ActorSystem>();
        var member = Akka.Cluster.Cluster.Get(system);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        member.RegisterOnMemberUp(() => up.TrySetResult());
        await console.Error.WriteLineAsync(options.SeedNodes.Count > 0
            ? $"worker: {member.SelfAddress} (role {role}) joining {string.Join(", ", options.SeedNodes)}"
            : $"worker: {member.SelfAddress} (role {role}) forming a cluster; join it with --seed-nodes {member.SelfAddress.Host}:{member.SelfAddress.Port}");

        // Ctrl+C, or SIGTERM, which the Generic Host answers by stopping itself.
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var interrupt = console.Interrupts.Drain.Register(() => stop.TrySetResult());
        await using var stopping = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(() => stop.TrySetResult());
        var first = await Task.WhenAny(up.Task, stop.Task, system.WhenTerminated);
        if (first == up.Task)
        {
            await console.Error.WriteLineAsync("worker: up; hosting routees until stopped");
            first = await Task.WhenAny(stop.Task, system.WhenTerminated);
        }

        // Stopping the host runs CoordinatedShutdown: the node leaves the cluster, and its routees answer for what they
        // hold, so front nodes send it elsewhere. A node the cluster downed has run it already, for that reason.
        var removed = CoordinatedShutdown.Get(system).ShutdownReason is CoordinatedShutdown.ClusterDowningReason
            or CoordinatedShutdown.ClusterJoinUnsuccessfulReason;
        await host.StopAsync(CancellationToken.None);
        await console.Error.WriteLineAsync(removed ? "worker: the cluster removed this node" : "worker: left the cluster");
        return removed ? HostApp.ItemsFailed : HostApp.Success;
    }
}
