using Akka.Configuration;

namespace ActorPipeline.Host;

/// <summary>The host's configuration: <c>pipeline.hocon</c> next to the binary, over the library's defaults.</summary>
internal static class HostConfig
{
    /// <summary>The HOCON file the host reads by default.</summary>
    public const string FileName = "pipeline.hocon";

    /// <summary>Loads <paramref name="overrides"/> (when given) over the default HOCON file, over the library's defaults.</summary>
    /// <exception cref="FileNotFoundException">The overriding file does not exist.</exception>
    /// <exception cref="ConfigurationException">A file cannot be parsed.</exception>
    public static async Task<Config> LoadAsync(FileInfo? overrides = null)
    {
        var path = Path.Combine(AppContext.BaseDirectory, FileName);
        var config = File.Exists(path) ? await ParseAsync(path) : Config.Empty;
        if (overrides is not null)
        {
            if (!overrides.Exists)
                throw new FileNotFoundException($"{overrides.FullName} does not exist.");
            config = (await ParseAsync(overrides.FullName)).WithFallback(config);
        }

        return config.WithFallback(PipelineSettings.DefaultConfig());
    }

    // Akka's HOCON parser never returns for some malformed input (an unclosed array, seen with Akka 1.5.74), so a
    // parse gets a deadline: a bad file must end in a clear error, not a hung host.
    private static async Task<Config> ParseAsync(string path)
    {
        var text = await File.ReadAllTextAsync(path);
        var parsing = Task.Run(() => ConfigurationFactory.ParseString(text));
        try
        {
            return await parsing.WaitAsync(ParseDeadline);
        }
        catch (TimeoutException)
        {
            throw new ConfigurationException($"{path} could not be parsed within {ParseDeadline.TotalSeconds:F0} s; look for an unclosed [ or {{.");
        }
        catch (Exception e) when (e is not ConfigurationException)
        {
            throw new ConfigurationException($"{path} is not valid HOCON: {e.Message}", e);
        }
    }

    private static readonly TimeSpan ParseDeadline = TimeSpan.FromSeconds(5);

    /// <summary>Reads a whole number the host needs, naming the key when it is missing.</summary>
    public static int GetInt(Config config, string key) =>
        config.HasPath(key)
            ? config.GetInt(key)
            : throw new ConfigurationException($"{key} is missing from {FileName}.");
}
