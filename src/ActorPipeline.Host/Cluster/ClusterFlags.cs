using System.CommandLine;
using System.Globalization;
using ActorPipeline.Cluster;
using ActorPipeline.Cluster.Hosting;
using Akka.Configuration;
using Microsoft.Extensions.Configuration;

namespace ActorPipeline.Host;

/// <summary>The flags that put a job's consumers, or a worker, into a cluster: where this node listens and whom it joins.</summary>
internal sealed class ClusterFlags
{
    public Option<string[]> SeedNodes { get; } = new("--seed-nodes")
    {
        Description = "Nodes of the cluster to join, HOST:PORT[,HOST:PORT…]; a job then runs its consumers on the cluster's workers.",
        CustomParser = r =>
        {
            var seeds = r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToArray();
            foreach (var seed in seeds)
            {
                try
                {
                    ClusterPipeline.SeedAddress("actor-pipeline-host", seed);
                }
                catch (FormatException e)
                {
                    r.AddError($"--seed-nodes: {e.Message}");
                }
            }

            return seeds;
        },
    };

    public Option<int?> Port { get; } = new("--port")
    {
        Description = "The port this node listens on for the cluster (0: a free one); with a job, the job runs as a cluster's front node.",
        CustomParser = r => int.TryParse(r.Tokens.Single().Value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535
            ? port
            : Fail<int?>(r, $"--port must be a port number (0 .. 65535); got '{r.Tokens.Single().Value}'."),
    };

    public Option<string?> Hostname { get; } = new("--hostname")
    {
        Description = "The address this node listens on and gives the others (default 127.0.0.1: enable TLS before exposing a port, see README).",
    };

    /// <summary>Adds the flags to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(SeedNodes);
        command.Options.Add(Port);
        command.Options.Add(Hostname);
    }

    /// <summary>What the command line says of the cluster; the configuration may say more (<see cref="ClusterRequest.Resolve"/>).</summary>
    public ClusterRequest Given(ParseResult parsed) =>
        new(parsed.GetValue(SeedNodes) is { Length: > 0 } seeds ? seeds : null, parsed.GetValue(Port), parsed.GetValue(Hostname));

    private static TValue Fail<TValue>(System.CommandLine.Parsing.ArgumentResult result, string error)
    {
        result.AddError(error);
        return default!;
    }
}

/// <summary>A node's cluster settings as the command line gave them; <see cref="Resolve"/> adds the configuration's.</summary>
internal sealed record ClusterRequest(IReadOnlyList<string>? SeedNodes, int? Port, string? Hostname)
{
    private const string HoconSection = "actor-pipeline-host.cluster";

    /// <summary>No cluster flag given.</summary>
    public static ClusterRequest None { get; } = new(null, null, null);

    /// <summary>The node's cluster options, strongest first: flags, appsettings/environment (<c>ActorPipeline:Cluster</c>),
    /// HOCON (<c>actor-pipeline-host.cluster</c>); null when none of them asks for a cluster.</summary>
    public PipelineClusterOptions? Resolve(Config hocon, IConfiguration configuration)
    {
        PipelineClusterOptions? options = null;
        if (hocon.HasPath(HoconSection))
        {
            var section = hocon.GetConfig(HoconSection);
            options = new PipelineClusterOptions();
            if (section.HasPath("hostname"))
                options = options with { Hostname = section.GetString("hostname") };
            if (section.HasPath("port"))
                options = options with { Port = section.GetInt("port") };
            if (section.HasPath("seed-nodes"))
                options = options with { SeedNodes = section.GetStringList("seed-nodes").ToArray() };
        }

        var settings = configuration.GetSection("ActorPipeline:Cluster");
        if (settings.Exists())
            options = settings.GetPipelineClusterOptions(options);

        if (SeedNodes is null && Port is null && Hostname is null)
            return options;
        options ??= new PipelineClusterOptions();
        if (SeedNodes is not null)
            options = options with { SeedNodes = SeedNodes };
        if (Port is { } port)
            options = options with { Port = port };
        if (Hostname is not null)
            options = options with { Hostname = Hostname };
        return options;
    }
}
