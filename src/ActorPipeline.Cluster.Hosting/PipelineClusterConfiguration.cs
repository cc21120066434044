using Microsoft.Extensions.Configuration;

namespace ActorPipeline.Cluster.Hosting;

/// <summary>Reads <see cref="PipelineClusterOptions"/> from configuration (appsettings, environment variables, the command line).</summary>
public static class PipelineClusterConfiguration
{
    /// <summary>Reads <c>Hostname</c>, <c>Port</c>, <c>SeedNodes</c> (a list or one comma-separated string), <c>Roles</c>,
    /// <c>TlsCertificate</c>, <c>TlsKey</c>, <c>TlsCertificatePassword</c>, <c>TlsAuthority</c> and <c>InsecurePlaintext</c>
    /// from <paramref name="section"/>, over <paramref name="defaults"/>.</summary>
    public static PipelineClusterOptions GetPipelineClusterOptions(this IConfiguration section, PipelineClusterOptions? defaults = null)
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
        if (section["TlsCertificate"] is { Length: > 0 } certificate)
            options = options with { TlsCertificate = certificate };
        if (section["TlsKey"] is { Length: > 0 } key)
            options = options with { TlsKey = key };
        if (section["TlsCertificatePassword"] is { } password)
            options = options with { TlsCertificatePassword = password };
        if (section["TlsAuthority"] is { Length: > 0 } authority)
            options = options with { TlsAuthority = authority };
        if (section["InsecurePlaintext"] is { Length: > 0 } insecure)
            options = options with
            {
                InsecurePlaintext = bool.TryParse(insecure, out var allowed)
                    ? allowed
                    : throw new FormatException($"{(section is IConfigurationSection s ? s.Path + ":" : "")}InsecurePlaintext must be true or false; got '{insecure}'."),
            };
        return options;
    }

    private static List<string> List(IConfiguration section, string key)
    {
        var single = section[key];
        var items = single is not null ? single.Split(',') : section.GetSection(key).GetChildren().Select(c => c.Value ?? string.Empty);
        return items.Select(i => i.Trim()).Where(i => i.Length > 0).ToList();
    }
}
