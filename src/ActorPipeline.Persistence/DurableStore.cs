using Akka.Actor;
using Akka.Configuration;
using Microsoft.Data.Sqlite;

namespace ActorPipeline.Persistence;

/// <summary>Where a durable pipeline keeps its state: a SQLite file (nothing to install), or any Akka.Persistence journal
/// the ActorSystem configures.</summary>
public sealed class DurableStore
{
    private readonly string _description;
    private readonly Func<ActorSystem, string> _pluginId;
    private readonly string? _sqliteFile;

    private DurableStore(string description, Func<ActorSystem, string> pluginId, string? sqliteFile = null)
    {
        _description = description;
        _pluginId = pluginId;
        _sqliteFile = sqliteFile;
    }

    /// <summary>The SQLite file at <paramref name="path"/>, created with its tables on first use; its folder must exist.</summary>
    public static DurableStore Sqlite(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var file = Path.GetFullPath(path);
        var connection = new SqliteConnectionStringBuilder { DataSource = file }.ToString();
        return new DurableStore($"SQLite file '{file}'", system => SqlJournal(system, "sqlite", connection, "SQLite.MS"), file);
    }

    /// <summary>The PostgreSQL database of <paramref name="connectionString"/> (Npgsql's form, e.g.
    /// <c>Host=db;Database=pipelines;Username=app;Password=…</c>), its tables created on first use: for pipelines whose
    /// runs may start on different machines.</summary>
    public static DurableStore PostgreSql(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        Npgsql.NpgsqlConnectionStringBuilder parsed;
        try
        {
            parsed = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"'{connectionString}' is not a PostgreSQL connection string: {e.Message}", nameof(connectionString), e);
        }

        // Named without the password, as errors and logs name it.
        var shown = $"PostgreSQL database '{parsed.Database}' on {parsed.Host}:{parsed.Port}";
        return new DurableStore(shown, system => SqlJournal(system, "postgresql", connectionString, "PostgreSQL"));
    }

    /// <summary>The Akka.Persistence journal configured at <paramref name="journalPluginId"/> (e.g.
    /// <c>akka.persistence.journal.sql</c> with its connection string), for stores other than a local file.</summary>
    public static DurableStore Journal(string journalPluginId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(journalPluginId);
        return new DurableStore($"journal '{journalPluginId}'", system =>
        {
            // Akka.Persistence's own journals (inmem, for one) are configured once its extension has loaded.
            Akka.Persistence.Persistence.Instance.Apply(system);
            if (!system.Settings.Config.HasPath(journalPluginId))
                throw new DurableStateException($"The ActorSystem has no journal configured at '{journalPluginId}'.");
            return journalPluginId;
        });
    }

    /// <summary>What the store is, as errors name it.</summary>
    public override string ToString() => _description;

    /// <summary>The journal plugin id to write through, configured in <paramref name="system"/> on first use.</summary>
    internal string PluginId(ActorSystem system) => _pluginId(system);

    /// <summary>Refuses a SQLite file that is not a database, or a database with tables of something else's.</summary>
    internal void Check()
    {
        if (_sqliteFile is not { } file)
            return;
        if (!File.Exists(file))
        {
            if (Path.GetDirectoryName(file) is { } folder && !Directory.Exists(folder))
                throw new DurableStateException($"The folder of the {_description} does not exist.");
            return;
        }

        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table'";
            var tables = new List<string>();
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                    tables.Add(reader.GetString(0));
            }

            if (tables.Count > 0 && !tables.Contains("journal"))
                throw new DurableStateException(
                    $"The {_description} is a database of something else (tables {string.Join(", ", tables.Take(5))}); a durable pipeline keeps its state in a file of its own.");
        }
        catch (SqliteException e)
        {
            throw new DurableStateException($"The {_description} cannot be read as a SQLite database: {e.Message}", e);
        }
    }

    // One plugin per connection, configured beside Akka's own journals from Akka.Persistence.Sql's defaults, so
    // that pipelines with stores of their own, and an application's own journal, live side by side in one ActorSystem.
    private static string SqlJournal(ActorSystem system, string kind, string connectionString, string provider)
    {
        var key = $"{kind}-{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(connectionString)))[..16].ToLowerInvariant()}";
        var pluginId = $"akka.persistence.journal.actor-pipeline-{key}";
        if (system.Settings.Config.HasPath($"{pluginId}.class"))
            return pluginId;
        var defaults = Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration;
        // A state is one small event: a recovery that has heard nothing for 10 s (not Akka's 30) found a store it cannot
        // reach, and the run says so sooner.
        var plugin = ConfigurationFactory.ParseString(
                $"connection-string = {Quote(connectionString)}\nprovider-name = {Quote(provider)}\nauto-initialize = on\nrecovery-event-timeout = 10s")
            .WithFallback(defaults.GetConfig("akka.persistence.journal.sql"));
        system.Settings.InjectTopLevelFallback(plugin.Root.AtKey($"actor-pipeline-{key}").Root.AtKey("journal").Root.AtKey("persistence").Root.AtKey("akka"));
        system.Settings.InjectTopLevelFallback(defaults);
        return pluginId;
    }

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
