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
        Description = "The address this node listens on and gives the others (default 127.0.0.1). Any other address needs --tls-cert and --tls-ca, or --insecure-plaintext.",
    };

    public Option<string?> TlsCertificate { get; } = new("--tls-cert")
    {
        Description = "This node's certificate for mutual TLS with the other nodes: a .pfx with its key, or a PEM certificate (key in the same file or --tls-key).",
    };

    public Option<string?> TlsKey { get; } = new("--tls-key") { Description = "The PEM private key of a PEM --tls-cert kept in a file of its own." };

    public Option<string?> TlsAuthority { get; } = new("--tls-ca")
    {
        Description = "The certificate of the authority that signed the cluster's certificates: nodes it did not sign cannot connect (scripts/make-cluster-certs.sh makes a throwaway set).",
    };

    public Option<bool> InsecurePlaintext { get; } = new("--insecure-plaintext")
    {
        Description = "Listen on an address other than loopback without TLS: items cross the network unencrypted and anything that reaches the port can join.",
    };

    /// <summary>Adds the flags to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { SeedNodes, Port, Hostname, TlsCertificate, TlsKey, TlsAuthority, InsecurePlaintext })
            command.Options.Add(option);
    }

    /// <summary>What the command line says of the cluster; the configuration may say more (<see cref="ClusterRequest.Resolve"/>).</summary>
    public ClusterRequest Given(ParseResult parsed) =>
        new(parsed.GetValue(SeedNodes) is { Length: > 0 } seeds ? seeds : null, parsed.GetValue(Port), parsed.GetValue(Hostname))
        {
            TlsCertificate = parsed.GetValue(TlsCertificate),
            TlsKey = parsed.GetValue(TlsKey),
            TlsAuthority = parsed.GetValue(TlsAuthority),
            InsecurePlaintext = parsed.GetValue(InsecurePlaintext),
        };

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

    /// <summary>--tls-cert: this node's certificate.</summary>
    public string? TlsCertificate { get; init; }

    /// <summary>--tls-key: the key of a PEM certificate.</summary>
    public string? TlsKey { get; init; }

    /// <summary>--tls-ca: the cluster's authority.</summary>
    public string? TlsAuthority { get; init; }

    /// <summary>--insecure-plaintext.</summary>
    public bool InsecurePlaintext { get; init; }

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
            if (section.HasPath("tls-cert"))
                options = options with { TlsCertificate = section.GetString("tls-cert") };
            if (section.HasPath("tls-key"))
                options = options with { TlsKey = section.GetString("tls-key") };
            if (section.HasPath("tls-ca"))
                options = options with { TlsAuthority = section.GetString("tls-ca") };
            if (section.HasPath("insecure-plaintext"))
                options = options with { InsecurePlaintext = section.GetBoolean("insecure-plaintext") };
        }

        var settings = configuration.GetSection("ActorPipeline:Cluster");
        if (settings.Exists())
        {
            try
            {
                options = settings.GetPipelineClusterOptions(options);
            }
            catch (FormatException e)
            {
                // The message names the key and the value: a configuration error, one line, exit code 2.
                throw new ConfigurationException(e.Message, e);
            }
        }

        if (SeedNodes is null && Port is null && Hostname is null)
            return options is null ? null : WithTls(options);
        options ??= new PipelineClusterOptions();
        if (SeedNodes is not null)
            options = options with { SeedNodes = SeedNodes };
        if (Port is { } port)
            options = options with { Port = port };
        if (Hostname is not null)
            options = options with { Hostname = Hostname };
        return WithTls(options);
    }

    // The TLS flags join whatever the configuration said; they do not by themselves put a job in a cluster.
    public PipelineClusterOptions WithTls(PipelineClusterOptions options)
    {
        if (TlsCertificate is not null)
            options = options with { TlsCertificate = TlsCertificate };
        if (TlsKey is not null)
            options = options with { TlsKey = TlsKey };
        if (TlsAuthority is not null)
            options = options with { TlsAuthority = TlsAuthority };
        return InsecurePlaintext ? options with { InsecurePlaintext = true } : options;
    }
}
