using Microsoft.Extensions.Configuration;

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

    /// <summary>Reads <c>Hostname</c>, <c>Port</c>, <c>SeedNodes</c> (a list or one comma-separated string) and <c>Roles</c>
    /// from <paramref name="section"/>, over <paramref name="defaults"/>.</summary>
    public static PipelineClusterOptions From(IConfiguration section, PipelineClusterOptions? defaults = null)
    {
        ArgumentNullException.ThrowIfNull(section);
        var options = defaults ?? new PipelineClusterOptions();
        if (section["Hostname"] is { Length: > 0 } hostname)
            options = options with { Hostname = hostname };
        if (section["Port"] is { Length: > 0 } port)
            options = options with
            {
                Port = int.TryParse(port, out var p) && p is >= 0 and <= 65535
                    ? p
                    : throw new FormatException($"{(section is IConfigurationSection s ? s.Path + ":" : "")}Port must be a port number (0 .. 65535); got '{port}'."),
            };
        if (List(section, "SeedNodes") is { Count: > 0 } seeds)
            options = options with { SeedNodes = seeds };
        if (List(section, "Roles") is { Count: > 0 } roles)
            options = options with { Roles = roles };
        return options;
    }

    private static List<string> List(IConfiguration section, string key)
    {
        var single = section[key];
        var items = single is not null ? single.Split(',') : section.GetSection(key).GetChildren().Select(c => c.Value ?? string.Empty);
        return items.Select(i => i.Trim()).Where(i => i.Length > 0).ToList();
    }
}
