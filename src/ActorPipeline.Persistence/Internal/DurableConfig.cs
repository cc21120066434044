using Akka.Configuration;

namespace ActorPipeline.Persistence.Internal;

/// <summary>A durable pipeline as HOCON describes it: <c>actor-pipeline.durable</c>, under
/// <c>actor-pipeline.pipelines."name".durable</c> when the pipeline has a section of its own.</summary>
internal static class DurableConfig
{
    private const string Section = "actor-pipeline.durable";
    private static readonly string[] Keys = ["id", "sqlite", "postgresql", "journal", "write-interval", "keep-finished-state"];
    private static readonly string[] Stores = ["sqlite", "postgresql", "journal"];

    private static void RejectUnknownKeys(Config config, string path)
    {
        foreach (var key in config.GetConfig(path).Root.GetObject().Items.Keys)
        {
            if (!Keys.Contains(key))
                throw new ConfigurationException($"{path}.{key} is not a setting of durable pipelines; known keys: {string.Join(", ", Keys)}.");
        }
    }

    /// <summary>The id, store and options <paramref name="config"/> gives pipeline <paramref name="pipeline"/>.</summary>
    /// <exception cref="ConfigurationException">No store or more than one, a key that is not one, or a value that does not read.</exception>
    public static (string Id, DurableStore Store, DurableOptions Options) Read(Config config, string pipeline)
    {
        var own = $"actor-pipeline.pipelines.\"{pipeline}\".durable";
        var section = config.HasPath(own) ? config.GetConfig(own).WithFallback(config.GetConfig(Section)) : config.GetConfig(Section);
        var where = config.HasPath(own) ? $"{own} (over {Section})" : Section;
        if (section is null || section.IsEmpty)
            throw new ConfigurationException($"{Section} is missing: the ActorSystem was not made with ActorPipeline's defaults (Pipeline.CreateSystem, or its reference.conf as a fallback).");
        RejectUnknownKeys(config, Section);
        if (config.HasPath(own))
            RejectUnknownKeys(config, own);

        var given = Stores.Where(store => !string.IsNullOrWhiteSpace(section.GetString(store, ""))).ToArray();
        if (given.Length != 1)
            throw new ConfigurationException(given.Length == 0
                ? $"{where} names no store: give one of sqlite (a file), postgresql (a connection string) or journal (a journal plugin's id)."
                : $"{where} names {string.Join(" and ", given)}: give exactly one store.");
        var value = section.GetString(given[0]);
        var store = given[0] switch
        {
            "sqlite" => DurableStore.Sqlite(value),
            "postgresql" => DurableStore.PostgreSql(value),
            _ => DurableStore.Journal(value),
        };

        TimeSpan interval;
        bool keep;
        try
        {
            interval = section.GetTimeSpan("write-interval", allowInfinite: false);
            keep = section.GetBoolean("keep-finished-state");
        }
        catch (Exception e) when (e is FormatException or ConfigurationException or ArgumentException)
        {
            throw new ConfigurationException($"{where}: write-interval must be a duration and keep-finished-state on or off: {e.Message}", e);
        }

        DurableOptions options;
        try
        {
            options = new DurableOptions { WriteInterval = interval, KeepFinishedState = keep };
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new ConfigurationException($"{where}.write-interval = {interval} is out of range: between 0 and an hour.", e);
        }

        var id = section.GetString("id", "");
        return (string.IsNullOrWhiteSpace(id) ? pipeline : id, store, options);
    }
}
