using System.Diagnostics;
using Akka.Configuration;
using Microsoft.Data.Sqlite;

namespace ActorPipeline.Benchmarks;

/// <summary>Rows into a real SQLite table: a batch handler writing 100 rows per transaction against an item handler
/// writing one row per item (each its own transaction), as an application that stores what it receives would.</summary>
/// <remarks>One consumer each: SQLite takes one writer at a time. The database is a file in WAL mode, synchronous =
/// NORMAL, for both; the file is deleted afterwards.</remarks>
internal static class Batches
{
    public static async Task<int> RunAsync()
    {
        using var system = Pipeline.CreateSystem("batches", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        var directory = Directory.CreateTempSubdirectory("actor-pipeline-batches-");
        try
        {
            Console.WriteLine("SQLite rows (WAL, synchronous = NORMAL), 1 consumer: one transaction per batch of 100 against one per item.");
            var perItem = await RunOneAsync(system, directory.FullName, "per-item", 20_000, batch: false);
            var batched = await RunOneAsync(system, directory.FullName, "batches", 200_000, batch: true);
            Console.WriteLine($"  batches ÷ per item: {batched / perItem:0.0}×");
            return 0;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }

    private static async Task<double> RunOneAsync(Akka.Actor.ActorSystem system, string directory, string name, int items, bool batch)
    {
        var path = Path.Combine(directory, $"{name}.db");
        var connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();
        await using (var setup = new SqliteConnection(connectionString))
        {
            await setup.OpenAsync();
            await using var create = setup.CreateCommand();
            create.CommandText = "PRAGMA journal_mode = WAL; CREATE TABLE rows (id INTEGER PRIMARY KEY, payload TEXT NOT NULL);";
            await create.ExecuteNonQueryAsync();
        }

        var builder = Pipeline.Create<long>(system, name)
            .WithSettings(s => s.WithConsumers(1))
            .WithSource(_ => Paced.Range(0, items));
        var clock = Stopwatch.StartNew();
        var report = await (batch
            ? builder.WithBatchHandler((rows, _) => Insert(connectionString, rows), maxItems: 100, maxWait: TimeSpan.FromMilliseconds(10))
            : builder.WithHandler((row, _) => Insert(connectionString, [row]))).Start().Completion;
        var seconds = clock.Elapsed.TotalSeconds;

        await using var check = new SqliteConnection(connectionString);
        await check.OpenAsync();
        await using var count = check.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM rows";
        var stored = (long)(await count.ExecuteScalarAsync())!;
        var rate = items / seconds;
        Console.WriteLine($"  {name,-8} {items:N0} rows in {seconds:0.00} s: {rate:N0} rows/s; {stored:N0} in the table, {report.Failed} failed");
        return stored == items ? rate : 0;
    }

    // One transaction for the rows given, as a bulk insert does: a prepared command run once per row.
    private static async ValueTask Insert(string connectionString, IReadOnlyList<long> rows)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous = NORMAL";
        await pragma.ExecuteNonQueryAsync();
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();
        await using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO rows (id, payload) VALUES ($id, $payload)";
        var id = insert.Parameters.Add("$id", SqliteType.Integer);
        var payload = insert.Parameters.Add("$payload", SqliteType.Text);
        foreach (var row in rows)
        {
            id.Value = row;
            payload.Value = $"row {row}";
            await insert.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
    }
}
