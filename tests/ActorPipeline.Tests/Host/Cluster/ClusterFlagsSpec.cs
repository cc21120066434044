using ActorPipeline.Host;
using Akka.Configuration;
using Microsoft.Extensions.Configuration;

namespace ActorPipeline.Tests.Host;

/// <summary>The host's cluster settings: flags over appsettings over HOCON, checked at parse time.</summary>
public sealed class ClusterFlagsSpec
{
    private static IConfiguration Settings(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void Without_any_cluster_setting_a_job_runs_in_one_process()
    {
        Assert.Null(ClusterRequest.None.Resolve(Config.Empty, Settings()));
    }

    [Fact]
    public void A_malformed_appsetting_is_a_configuration_error_that_names_its_key()
    {
        // A configuration error is one line and exit code 2 in the host; anything else would print a stack trace.
        var port = Assert.Throws<ConfigurationException>(() => ClusterRequest.None.Resolve(Config.Empty, Settings(("ActorPipeline:Cluster:Port", "abc"))));
        var otel = Assert.Throws<ConfigurationException>(() => HostTelemetry.Resolve(null, Settings(("ActorPipeline:Otel", "zipkin"))));

        Assert.Equal("ActorPipeline:Cluster:Port must be a port number (0 .. 65535); got 'abc'.", port.Message);
        Assert.StartsWith("ActorPipeline:Otel expects console, otlp", otel.Message);
    }

    [Fact]
    public void Flags_win_over_appsettings_which_win_over_hocon()
    {
        var hocon = ConfigurationFactory.ParseString("""
            actor-pipeline-host.cluster { hostname = "10.0.0.1", port = 4000, seed-nodes = ["10.0.0.9:4000"] }
            """);
        var settings = Settings(("ActorPipeline:Cluster:Port", "5000"), ("ActorPipeline:Cluster:SeedNodes", "10.0.0.8:5000, 10.0.0.7:5000"));

        var fromConfig = ClusterRequest.None.Resolve(hocon, settings)!;
        Assert.Equal(("10.0.0.1", 5000), (fromConfig.Hostname, fromConfig.Port));
        Assert.Equal(["10.0.0.8:5000", "10.0.0.7:5000"], fromConfig.SeedNodes);

        var fromFlags = new ClusterRequest(["127.0.0.1:6000"], 0, null).Resolve(hocon, settings)!;
        Assert.Equal(("10.0.0.1", 0), (fromFlags.Hostname, fromFlags.Port));
        Assert.Equal(["127.0.0.1:6000"], fromFlags.SeedNodes);
    }

    [Fact]
    public void The_tls_flags_join_the_cluster_settings_from_hocon_and_appsettings()
    {
        var hocon = ConfigurationFactory.ParseString("""
            actor-pipeline-host.cluster { port = 4000, tls-ca = "/hocon/ca.pem", insecure-plaintext = on }
            """);
        var settings = Settings(("ActorPipeline:Cluster:TlsCertificate", "/settings/node.pfx"));

        var options = new ClusterRequest(null, null, null) { TlsKey = "/flags/node.key" }.Resolve(hocon, settings)!;

        Assert.Equal(("/settings/node.pfx", "/flags/node.key", "/hocon/ca.pem", true),
            (options.TlsCertificate, options.TlsKey, options.TlsAuthority, options.InsecurePlaintext));
    }

    [Theory]
    [InlineData("demo --port 0 --hostname 10.1.2.3 --items 1", "would listen on 10.1.2.3 without TLS")]
    [InlineData("worker --hostname 0.0.0.0", "--insecure-plaintext")]
    [InlineData("worker --tls-ca /nowhere/ca.pem", "only the authority was given")]
    public async Task A_node_that_may_not_start_says_why_in_one_line_and_exits_with_two(string args, string message)
    {
        var run = await HostRun.RunAsync(args.Split(' '));

        Assert.Equal(HostApp.BadUsage, run.Exit);
        Assert.StartsWith("error: cannot use the configuration: ", run.Err);
        Assert.Contains(message, run.Err);
        Assert.Single(run.Err.Trim().Split('\n'));
    }

    [Theory]
    [InlineData("demo --seed-nodes nowhere", "--seed-nodes: A seed node is host:port or akka.tcp://system@host:port; got 'nowhere'.")]
    [InlineData("demo --port 70000", "--port must be a port number (0 .. 65535); got '70000'.")]
    [InlineData("worker --port x", "--port must be a port number (0 .. 65535); got 'x'.")]
    [InlineData("demo --delay-ms -1", "--delay-ms must be at least 0; got -1.")]
    public async Task A_bad_cluster_flag_is_one_line_and_exit_code_two(string args, string message)
    {
        var run = await HostRun.RunAsync(args.Split(' '));

        Assert.Equal(HostApp.BadUsage, run.Exit);
        Assert.Equal($"error: {message}", run.Err.Trim());
    }
}
