using ActorPipeline.Internal;
using System.Globalization;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;

namespace ActorPipeline.Cluster;

/// <summary>The configuration that runs a pipeline's consumer pool on the worker nodes of an Akka.NET cluster.</summary>
public static class ClusterPipeline
{
    /// <summary>The role of a node that hosts routees, unless the deployment's <c>use-role</c> names another.</summary>
    public const string WorkerRole = "worker";

    private static readonly Lazy<Config> Defaults = new(() =>
    {
        using var stream = typeof(ClusterPipeline).Assembly.GetManifestResourceStream("ActorPipeline.Cluster.cluster.conf")
            ?? throw new InvalidOperationException("ActorPipeline.Cluster's cluster.conf is missing from the assembly.");
        using var reader = new StreamReader(stream);

        // A worker node runs routees without running a pipeline: it needs the library's defaults too (the blocking-handlers dispatcher).
        return ConfigurationFactory.ParseString(reader.ReadToEnd()).WithFallback(PipelineSettings.DefaultConfig());
    });

    /// <summary>The library's cluster defaults: its serializer and bindings, failure detection and the split-brain resolver.</summary>
    public static Config DefaultConfig() => Defaults.Value;

    /// <summary>A plain-text node's whole configuration: the cluster provider, remoting on <see cref="PipelineClusterOptions.Hostname"/>
    /// and <see cref="PipelineClusterOptions.Port"/>, its seed nodes and roles, over <see cref="DefaultConfig"/>. A node
    /// with TLS needs <see cref="NodeSetup"/>, which carries its certificates.</summary>
    /// <param name="systemName">The ActorSystem's name, which every node of the cluster shares (seed nodes given as
    /// <c>host:port</c> are completed with it).</param>
    /// <param name="options">Where the node listens and whom it joins.</param>
    /// <exception cref="ConfigurationException">The options ask for TLS, or the node would listen off loopback in plain
    /// text without <see cref="PipelineClusterOptions.InsecurePlaintext"/>.</exception>
    public static Config NodeConfig(string systemName, PipelineClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.TlsCertificate is not null || options.TlsAuthority is not null)
            throw new ConfigurationException("A node with TLS takes its certificates from an ActorSystemSetup: create it with ClusterPipeline.NodeSetup.");
        ClusterTls.Setup(options);
        return Config(systemName, options);
    }

    /// <summary>A node's whole setup, for <c>ActorSystem.Create(name, setup)</c>: <see cref="NodeConfig"/>'s configuration
    /// with <paramref name="extra"/> over it, and, with <see cref="PipelineClusterOptions.TlsCertificate"/> and
    /// <see cref="PipelineClusterOptions.TlsAuthority"/>, mutual TLS that admits only nodes whose certificate the authority signed.</summary>
    /// <exception cref="ConfigurationException">Only one of certificate and authority is given, a file cannot be read, or
    /// the node would listen off loopback in plain text without <see cref="PipelineClusterOptions.InsecurePlaintext"/>.</exception>
    public static ActorSystemSetup NodeSetup(string systemName, PipelineClusterOptions options, Config? extra = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var ssl = ClusterTls.Setup(options);
        var config = (extra ?? Akka.Configuration.Config.Empty).WithFallback(Config(systemName, options));
        var setup = BootstrapSetup.Create().WithConfig(config);
        return ssl is null ? ActorSystemSetup.Create(setup) : setup.And(ssl);
    }

    private static Config Config(string systemName, PipelineClusterOptions options)
    {
        var seeds = string.Join(", ", options.SeedNodes.Select(s => Quote(SeedAddress(systemName, s, options.UsesTls))));
        return ConfigurationFactory.ParseString($"akka.cluster.seed-nodes = [{seeds}]").WithFallback(MemberConfig(options)).WithFallback(DefaultConfig());
    }

    /// <summary>Joins <paramref name="system"/> to the seed nodes of <paramref name="options"/>, or, with none, makes it a
    /// cluster of its own for others to join.</summary>
    public static void Join(ActorSystem system, PipelineClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(options);
        ClusterTls.WarnIfExposed(system.Log, options);
        if (options.Handlers.Count > 0)
            RunningPipelines.For(system).WireTypes.DeclareHandlers(options.Handlers, only: true);
        var cluster = Akka.Cluster.Cluster.Get(system);
        if (options.SeedNodes.Count == 0)
            cluster.Join(cluster.SelfAddress);
        else
            cluster.JoinSeedNodes(options.SeedNodes.Select(s => Address.Parse(SeedAddress(system.Name, s, options.UsesTls))).ToList());
    }

    // What the options say of a node, but its seed nodes, which need the ActorSystem's name; without the defaults.
    internal static Config MemberConfig(PipelineClusterOptions options)
    {
        var roles = string.Join(", ", options.Roles.Select(Quote));
        return ConfigurationFactory.ParseString(string.Create(CultureInfo.InvariantCulture, $$"""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp.hostname = {{Quote(options.Hostname)}}
            akka.remote.dot-netty.tcp.port = {{options.Port}}
            akka.cluster.roles = [{{roles}}]
            """)).WithFallback(ClusterTls.Config(options));
    }

    /// <summary>The deployment that puts the consumer pool of pipeline <paramref name="pipeline"/> on the nodes with role
    /// <paramref name="role"/>, <paramref name="perNode"/> routees on each, none on the front node.</summary>
    public static Config PoolDeployment(string pipeline, int perNode, string role = WorkerRole)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pipeline);
        ArgumentOutOfRangeException.ThrowIfLessThan(perNode, 1);
        return ConfigurationFactory.ParseString(string.Create(CultureInfo.InvariantCulture, $$"""
            akka.actor.deployment {
              "/{{pipeline}}/consumers" {
                router = round-robin-pool
                nr-of-instances = 10000
                cluster { enabled = on, max-nr-of-instances-per-node = {{perNode}}, allow-local-routees = off, use-role = {{Quote(role)}} }
              }
            }
            """));
    }

    /// <summary>A full seed-node address: <c>host:port</c> becomes <c>akka.tcp://systemName@host:port</c>; a full address is kept.</summary>
    /// <exception cref="FormatException">The text is neither.</exception>
    public static string SeedAddress(string systemName, string seed) => SeedAddress(systemName, seed, tls: false);

    /// <summary>A full seed-node address: <c>host:port</c> becomes <c>akka.tcp://systemName@host:port</c>, or with
    /// <paramref name="tls"/> <c>akka.ssl.tcp://…</c>, the scheme of nodes that speak TLS; a full address is kept.</summary>
    /// <exception cref="FormatException">The text is neither.</exception>
    public static string SeedAddress(string systemName, string seed, bool tls)
    {
        ArgumentNullException.ThrowIfNull(seed);
        if (seed.Contains("://", StringComparison.Ordinal))
            return Address.Parse(seed).ToString();
        var colon = seed.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(seed.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new FormatException($"A seed node is host:port or akka.tcp://system@host:port; got '{seed}'.");
        return $"{(tls ? "akka.ssl.tcp" : "akka.tcp")}://{systemName}@{seed[..colon]}:{port}";
    }

    /// <summary>Declares types <paramref name="system"/> may read from other nodes beyond those its pipelines and hosted
    /// handlers declare (items, results, handlers): subtypes of an item or result type that travel as themselves.</summary>
    /// <remarks>The wire format resolves a type name only among declared types, so a payload that names any other type
    /// is refused before the type is even loaded.</remarks>
    public static void Expect(ActorSystem system, params Type[] types)
    {
        ArgumentNullException.ThrowIfNull(system);
        RunningPipelines.For(system).WireTypes.Declare(types);
    }

    /// <summary>Whether <paramref name="system"/> writes the library's messages in its own format (the bindings of
    /// <see cref="DefaultConfig"/>); without them they would travel as JSON, which loses their types.</summary>
    public static bool HasWireFormat(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        return system.Serialization.FindSerializerForType(typeof(ChunkConsumed)) is Wire.WireSerializer;
    }

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
