using Microsoft.Extensions.Configuration;

namespace ActorPipeline.Cluster.Hosting.Tests;

/// <summary>Cluster options read from configuration, in the shapes appsettings and environment variables give them.</summary>
public sealed class PipelineClusterConfigurationSpec
{
    private static IConfigurationSection Section(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => KeyValuePair.Create("ActorPipeline:Cluster:" + v.Key, (string?)v.Value)))
            .Build()
            .GetSection("ActorPipeline:Cluster");

    [Fact]
    public void Seed_nodes_and_roles_are_read_as_a_list_or_as_one_comma_separated_string()
    {
        var fromList = Section(("Hostname", "10.0.0.5"), ("Port", "4053"), ("SeedNodes:0", "a:1"), ("SeedNodes:1", "b:2"), ("Roles:0", "worker"))
            .GetPipelineClusterOptions();
        var fromString = Section(("SeedNodes", " a:1, b:2 "), ("Roles", "worker")).GetPipelineClusterOptions();

        Assert.Equal(("10.0.0.5", 4053), (fromList.Hostname, fromList.Port));
        Assert.Equal(["a:1", "b:2"], fromList.SeedNodes);
        Assert.Equal(["a:1", "b:2"], fromString.SeedNodes);
        Assert.Equal(["worker"], fromString.Roles);
    }

    [Fact]
    public void The_tls_settings_are_read_and_a_flag_that_is_not_a_boolean_is_refused()
    {
        var options = Section(("TlsCertificate", "/certs/node.pem"), ("TlsKey", "/certs/node.key"), ("TlsCertificatePassword", "secret"),
            ("TlsAuthority", "/certs/ca.pem"), ("InsecurePlaintext", "false")).GetPipelineClusterOptions();
        var error = Assert.Throws<FormatException>(() => Section(("InsecurePlaintext", "maybe")).GetPipelineClusterOptions());

        Assert.Equal(("/certs/node.pem", "/certs/node.key", "secret", "/certs/ca.pem", false, true),
            (options.TlsCertificate, options.TlsKey, options.TlsCertificatePassword, options.TlsAuthority, options.InsecurePlaintext, options.UsesTls));
        Assert.Equal("ActorPipeline:Cluster:InsecurePlaintext must be true or false; got 'maybe'.", error.Message);
    }

    [Fact]
    public void What_the_section_leaves_out_keeps_the_defaults_given()
    {
        var defaults = new PipelineClusterOptions { Hostname = "10.0.0.7", Port = 5000, Roles = ["front"] };

        var options = Section(("Port", "5001")).GetPipelineClusterOptions(defaults);

        Assert.Equal(defaults with { Port = 5001 }, options);
    }

    [Theory]
    [InlineData("65536")]
    [InlineData("-1")]
    [InlineData("http")]
    public void A_port_that_is_not_a_port_number_is_refused_with_its_key_and_value(string port)
    {
        var error = Assert.Throws<FormatException>(() => Section(("Port", port)).GetPipelineClusterOptions());

        Assert.Equal($"ActorPipeline:Cluster:Port must be a port number (0 .. 65535); got '{port}'.", error.Message);
    }
}
