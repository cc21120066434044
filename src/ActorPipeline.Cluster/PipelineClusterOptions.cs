namespace ActorPipeline.Cluster;

/// <summary>Where a node listens and whom it joins: the settings a front node and its workers share.</summary>
public sealed record PipelineClusterOptions
{
    /// <summary>The address remoting binds to and advertises; loopback unless told otherwise.</summary>
    public string Hostname { get; init; } = "127.0.0.1";

    /// <summary>The port remoting listens on; 0 takes a free one.</summary>
    public int Port { get; init; }

    /// <summary>Nodes to join, as <c>host:port</c> or full <c>akka.tcp://system@host:port</c> addresses; none: the node
    /// forms a cluster of its own, which others join.</summary>
    public IReadOnlyList<string> SeedNodes { get; init; } = [];

    /// <summary>The node's cluster roles (a worker has <see cref="ClusterPipeline.WorkerRole"/>).</summary>
    public IReadOnlyList<string> Roles { get; init; } = [];
}
