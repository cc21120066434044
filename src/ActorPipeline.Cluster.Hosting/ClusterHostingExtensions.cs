using Akka.Hosting;

namespace ActorPipeline.Cluster.Hosting;

/// <summary>Joins a node to a pipeline's cluster from an Akka.Hosting <see cref="AkkaConfigurationBuilder"/>.</summary>
/// <remarks>The node's settings go in as HOCON (<see cref="ClusterPipeline.NodeConfig"/>) rather than through
/// Akka.Cluster.Hosting, whose sharding dependencies the package would otherwise carry to every user.</remarks>
public static class ClusterHostingExtensions
{
    /// <summary>Makes the node a member of the cluster described by <paramref name="options"/> with the library's cluster
    /// defaults (and mutual TLS when the options give a certificate and an authority); a front node then starts its
    /// pipeline as usual (<c>WithActorPipeline</c>) with a cluster deployment of its pool.</summary>
    /// <exception cref="Akka.Configuration.ConfigurationException">Only one of certificate and authority is given, a file
    /// cannot be read, or the node would listen off loopback in plain text without
    /// <see cref="PipelineClusterOptions.InsecurePlaintext"/>.</exception>
    public static AkkaConfigurationBuilder WithActorPipelineCluster(this AkkaConfigurationBuilder builder, PipelineClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        // The options win over the application's config; the library's defaults only fill in what it leaves out. The TLS
        // setup is made here, so a missing certificate or a node exposed in plain text stops the host before it starts.
        if (ClusterTls.Setup(options) is { } ssl)
            builder.AddSetup(ssl);
        return builder
            .AddHocon(ClusterPipeline.MemberConfig(options), HoconAddMode.Prepend)
            .AddHocon(ClusterPipeline.DefaultConfig(), HoconAddMode.Append)
            .AddStartup((system, _) =>
            {
                ClusterPipeline.Join(system, options);
                return Task.CompletedTask;
            });
    }

    /// <summary>Makes the node a worker: a member with role <see cref="ClusterPipeline.WorkerRole"/> (unless
    /// <paramref name="options"/> names roles), on which front nodes deploy their consumer routees.</summary>
    public static AkkaConfigurationBuilder WithActorPipelineWorker(this AkkaConfigurationBuilder builder, PipelineClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return builder.WithActorPipelineCluster(options.Roles.Count > 0 ? options : options with { Roles = [ClusterPipeline.WorkerRole] });
    }
}
