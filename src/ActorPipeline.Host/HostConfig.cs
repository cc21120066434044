using Akka.Configuration;

namespace ActorPipeline.Host;

/// <summary>The host's configuration: <c>pipeline.hocon</c> next to the binary, over the library's defaults.</summary>
internal static class HostConfig
{
    /// <summary>The HOCON file the host reads by default.</summary>
    public const string FileName = "pipeline.hocon";

    /// <summary>Loads the default HOCON file; a missing file means the library's defaults alone.</summary>
    public static Config Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, FileName);
        var config = File.Exists(path) ? ConfigurationFactory.ParseString(File.ReadAllText(path)) : Config.Empty;
        return config.WithFallback(PipelineSettings.DefaultConfig());
    }

    /// <summary>Reads a whole number the host needs, naming the key when it is missing.</summary>
    public static int GetInt(Config config, string key) =>
        config.HasPath(key)
            ? config.GetInt(key)
            : throw new ConfigurationException($"{key} is missing from {FileName}.");
}
