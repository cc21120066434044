using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Configuration;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace ActorPipeline.Persistence.Tests;

/// <summary>Durable pipelines: a run that stops — abruptly, or by a drain — is resumed by the next run with the same id;
/// nothing is lost, and each item is counted once across the runs. On a SQLite file, and on PostgreSQL when
/// ACTORPIPELINE_POSTGRES names a server (scripts/with-postgres.sh starts a throwaway one; CI runs the specs so).</summary>
public sealed class DurablePipelineSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.loglevel = WARNING"), output: output), IDisposable
{
    private readonly ITestOutputHelper _output = output;
    private const int Items = 3000;
    private const int Capacity = 64;
    private readonly string _folder = Directory.CreateTempSubdirectory("actorpipeline-durable-").FullName;

    // Each spec's pipeline has an id of its own: on PostgreSQL every spec shares the database.
    private readonly string Id = $"numbers-{Guid.NewGuid():N}";

    private string StateFile => Path.Combine(_folder, "state.db");

    private static string? Postgres => Environment.GetEnvironmentVariable("ACTORPIPELINE_POSTGRES");

    /// <summary>The stores the specs that hold for every store run on: SQLite, and PostgreSQL when a server is given.</summary>
    public static TheoryData<string> Stores => Postgres is null ? ["sqlite"] : ["sqlite", "postgresql"];

    private DurableStore Store(string kind) => kind == "sqlite" ? DurableStore.Sqlite(StateFile) : DurableStore.PostgreSql(Postgres!);

    // An ActorSystem that stops without CoordinatedShutdown: its pipelines do not drain, as in a crash.
    private static ActorSystem Crashable(string name) => Pipeline.CreateSystem(name, ConfigurationFactory.ParseString(
        "akka.loglevel = WARNING\nakka.coordinated-shutdown.run-by-actor-system-terminate = off"));

    // Items fail for good when item % 97 == 5; the others succeed.
    private static bool Fails(int item) => item % 97 == 5;

    private static readonly int ExpectedFailures = Enumerable.Range(0, Items).Count(Fails);

    private static IAsyncEnumerable<(int Item, long Position)> Numbers(ResumePoint<long> from, CancellationToken ct) => Numbers(from, pauseAt: -1, ct);

    // With pauseAt, the source waits before that position until the pipeline stops it.
    private static async IAsyncEnumerable<(int Item, long Position)> Numbers(ResumePoint<long> from, long pauseAt, [EnumeratorCancellation] CancellationToken ct = default)
    {
        for (var position = from.HasPosition ? from.Position : 0; position < Items; position++)
        {
            if (position == pauseAt)
                await Task.Delay(Timeout.Infinite, ct);
            if (position % 100 == 0)
                await Task.Yield();
            yield return ((int)position, position);
        }
    }

    // Each run under a name of its own: a pipeline's actor may still be stopping when its Completion is told, and an
    // ActorSystem frees a name only once the actor has stopped.
    private int _runs;

    private PipelineHandle Start(ActorSystem system, ConcurrentDictionary<int, int> handled, int hold = -1, long pauseAt = -1, string store = "sqlite") =>
        Pipeline.Create<int>(system, $"durable-{_runs++}")
            .WithDurability(Id, Store(store))
            .WithResumableSource<int, long>("numbers", (from, ct) => Numbers(from, pauseAt, ct))
            .WithSettings(s => s.WithCapacity(Capacity).WithConsumers(4).WithMaxRetries(1))
            .WithHandler(async (item, ct) =>
            {
                if (item == hold)
                    await Task.Delay(Timeout.Infinite, ct);
                if (Fails(item))
                    throw new InvalidOperationException($"item {item} fails");
                handled.AddOrUpdate(item, 1, (_, n) => n + 1);
            })
            .Start();

    // The last state the journal wrote, read from the store as a person would.
    private JsonObject? LastState(string store = "sqlite")
    {
        if (store != "sqlite")
            return LastPostgresState();
        if (!File.Exists(StateFile))
            return null;
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = StateFile, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT message FROM journal WHERE persistence_id = $id AND deleted = 0 ORDER BY sequence_number DESC LIMIT 1";
        command.Parameters.AddWithValue("$id", $"actor-pipeline:{Id}");
        try
        {
            return command.ExecuteScalar() is byte[] bytes ? JsonNode.Parse(bytes)!.AsObject() : null;
        }
        catch (SqliteException)
        {
            return null; // the table is not there yet
        }
    }

    private JsonObject? LastPostgresState()
    {
        using var connection = new Npgsql.NpgsqlConnection(Postgres);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT message FROM journal WHERE persistence_id = @id AND NOT deleted ORDER BY sequence_number DESC LIMIT 1";
        command.Parameters.AddWithValue("id", $"actor-pipeline:{Id}");
        try
        {
            return command.ExecuteScalar() is byte[] bytes ? JsonNode.Parse(bytes)!.AsObject() : null;
        }
        catch (Npgsql.PostgresException e) when (e.SqlState == "42P01")
        {
            return null; // the table is not there yet
        }
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A_run_stopped_abruptly_is_resumed_by_the_next_with_nothing_lost_and_each_item_counted_once(string store)
    {
        var first = new ConcurrentDictionary<int, int>();
        var crashed = Crashable("first");
        // Item 1000 is held at its consumer and the source waits before item 2000: once the journal has written that the
        // items before 2000 finished (but the held one, and those behind it in its consumer's hands: at most the
        // capacity), the system stops, without a drain.
        Start(crashed, first, hold: 1000, pauseAt: 2000, store: store);
        var before = Enumerable.Range(0, 2000).Count(i => !Fails(i)) - Capacity;
        AwaitCondition(() => LastState(store)?["succeeded"]?.GetValue<long>() >= before, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(20));
        var written = LastState(store)!["succeeded"]!.GetValue<long>();
        await crashed.Terminate();

        var second = new ConcurrentDictionary<int, int>();
        var report = await Start(Sys, second, store: store).Completion.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(report.Resumed);
        Assert.Equal(Items, report.Produced);
        Assert.Equal(Items - ExpectedFailures, report.Succeeded);
        Assert.Equal(ExpectedFailures, report.Failed);
        // Nothing lost: every item that does not fail was handled in one run or the other.
        Assert.DoesNotContain(Enumerable.Range(0, Items), i => !Fails(i) && !first.ContainsKey(i) && !second.ContainsKey(i));
        // What the first run wrote as finished was not handled again — the items after the held one included, which the
        // second run passed over — and the held item and the items after the pause were.
        Assert.True(second.Count <= Items - ExpectedFailures - written, $"{second.Count} handled again; {written} were written as finished");
        Assert.InRange(second.Keys.Count(i => i > 1000 && i < 2000), 0, Capacity);
        Assert.Superset(Enumerable.Range(2000, 1000).Where(i => !Fails(i)).Append(1000).ToHashSet(), second.Keys.ToHashSet());
        Assert.InRange(report.Recovered, 1, Capacity);
        _output.WriteLine($"first run: {first.Count} handled, {written} written as finished; second: {second.Count} handled, {report.Recovered} recovered");

        // A run that finished every item cleared the state: the next run with the id starts afresh.
        Assert.Null(LastState(store));
        var third = await Start(Sys, new ConcurrentDictionary<int, int>(), store: store).Completion.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.False(third.Resumed);
        Assert.Equal(Items, third.Produced);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A_drained_run_is_resumed_exactly_where_it_stopped(string store)
    {
        var first = new ConcurrentDictionary<int, int>();
        // The source waits before item 1500, so the run cannot end before the drain: once the items before it are
        // handled, it is drained.
        var handle = Start(Sys, first, pauseAt: 1500, store: store);
        var before = Enumerable.Range(0, 1500).Count(i => !Fails(i));
        AwaitCondition(() => first.Count == before, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(10));
        var drained = await handle.DrainAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(PipelineOutcome.Drained, drained.Outcome);
        Assert.False(drained.EveryItemFinished);
        Assert.NotNull(LastState(store));

        var second = new ConcurrentDictionary<int, int>();
        var report = await Start(Sys, second, store: store).Completion.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(report.EveryItemFinished);
        Assert.Null(LastState(store));
        // A drain finishes every item it took and writes that before it completes: each item is handled exactly once.
        Assert.Empty(first.Keys.Intersect(second.Keys));
        Assert.Equal(Items - ExpectedFailures, first.Count + second.Count);
        Assert.True(report.Resumed);
        // Read from the source and not sent when the drain stopped its producer: at most what it held unsent.
        Assert.InRange(report.Recovered, 0, Capacity);
        Assert.Equal(Items, report.Produced);
        Assert.Equal(Items - ExpectedFailures, report.Succeeded);
        Assert.Equal(ExpectedFailures, report.Failed);
    }

    [Fact]
    public void A_file_that_is_not_a_state_file_is_refused_naming_it_and_left_as_it_is()
    {
        File.WriteAllText(StateFile, "these are somebody's notes, not a database");
        var error = Assert.Throws<DurableStateException>(() => Start(Sys, new ConcurrentDictionary<int, int>()));
        Assert.Contains(StateFile, error.Message);
        Assert.Equal("these are somebody's notes, not a database", File.ReadAllText(StateFile));

        File.Delete(StateFile);
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = StateFile, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)";
            command.ExecuteNonQuery();
        }

        error = Assert.Throws<DurableStateException>(() => Start(Sys, new ConcurrentDictionary<int, int>()));
        Assert.Contains("customers", error.Message);

        var nowhere = Path.Combine(_folder, "no-such-folder", "state.db");
        error = Assert.Throws<DurableStateException>(() => Pipeline.Create<int>(Sys, "nowhere").WithDurability(Id, DurableStore.Sqlite(nowhere))
            .WithResumableSource<int, long>("numbers", Numbers).WithHandler(_ => { }).Start());
        Assert.Contains($"'{nowhere}' does not exist", error.Message);
    }

    [Fact]
    public void What_durability_does_not_cover_is_refused_at_start()
    {
        var store = DurableStore.Sqlite(StateFile);
        var plain = Pipeline.Create<int>(Sys, "plain").WithDurability(Id, store)
            .WithSource(_ => AsyncEnumerable.Range(0, 3)).WithHandler(_ => { });
        Assert.Contains("not resumable", Assert.Throws<InvalidOperationException>(() => plain.Start()).Message);

        var actor = Pipeline.Create<int>(Sys, "actor").WithDurability(Id, store)
            .WithResumableSource<int, long>("numbers", Numbers).WithProducer(CreateTestProbe().Ref).WithHandler(_ => { });
        Assert.Contains("actor producer", Assert.Throws<InvalidOperationException>(() => actor.Start()).Message);

        var dropping = Pipeline.Create<int>(Sys, "dropping").WithDurability(Id, store)
            .WithResumableSource<int, long>("numbers", Numbers).WithOverflow(OverflowMode.DropOldest).WithHandler(_ => { });
        Assert.Contains("drop-oldest", Assert.Throws<InvalidOperationException>(() => dropping.Start()).Message);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Two_runs_of_one_id_at_once_are_refused(string store)
    {
        var hold = new ConcurrentDictionary<int, int>();
        var running = Start(Sys, hold, hold: 0, store: store);
        var second = Pipeline.Create<int>(Sys, "second").WithDurability(Id, Store(store))
            .WithResumableSource<int, long>("numbers", Numbers).WithHandler(_ => { });
        Assert.Contains($"id '{Id}' is running", Assert.Throws<InvalidOperationException>(() => second.Start()).Message);
        await running.AbortAsync(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task With_a_batch_handler_and_ordering_keys_a_drained_run_is_resumed_and_each_item_handled_once()
    {
        var first = new ConcurrentDictionary<int, int>();
        var second = new ConcurrentDictionary<int, int>();
        PipelineHandle Batched(ConcurrentDictionary<int, int> handled, long pauseAt) => Pipeline.Create<int>(Sys, $"batched-{_runs++}")
            .WithDurability(Id, Store("sqlite"))
            .WithResumableSource<int, long>("numbers", (from, ct) => Numbers(from, pauseAt, ct))
            .WithSettings(s => s.WithCapacity(Capacity).WithConsumers(4))
            .WithOrderingKey(item => item % 7)
            .WithBatchHandler((batch, _) =>
            {
                for (var i = 0; i < batch.Count; i++)
                {
                    if (Fails(batch[i]))
                        batch.Fail(i, new InvalidOperationException($"item {batch[i]} fails"));
                    else
                        handled.AddOrUpdate(batch[i], 1, (_, n) => n + 1);
                }

                return ValueTask.CompletedTask;
            }, maxItems: 16, maxWait: TimeSpan.FromMilliseconds(5))
            .Start();

        var handle = Batched(first, pauseAt: 1500);
        var before = Enumerable.Range(0, 1500).Count(i => !Fails(i));
        AwaitCondition(() => first.Count == before, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(10));
        await handle.DrainAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var report = await Batched(second, pauseAt: -1).Completion.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Empty(first.Keys.Intersect(second.Keys));
        Assert.All(first.Values.Concat(second.Values), n => Assert.Equal(1, n));
        Assert.Equal(Items - ExpectedFailures, first.Count + second.Count);
        Assert.Equal((Items, Items - ExpectedFailures, ExpectedFailures), (report.Produced, report.Succeeded, report.Failed));
    }

    [Fact]
    public async Task A_finished_run_asked_to_keep_its_state_keeps_it_marked_finished_and_the_next_run_starts_afresh()
    {
        async Task<PipelineReport> RunAsync() => await Pipeline.Create<int>(Sys, $"kept-{_runs++}")
            .WithDurability(Id, Store("sqlite"), new DurableOptions { KeepFinishedState = true })
            .WithResumableSource<int, long>("numbers", Numbers)
            .WithHandler(_ => { })
            .Start().Completion.WaitAsync(TimeSpan.FromSeconds(60));

        var first = await RunAsync();
        var kept = LastState();

        Assert.NotNull(kept);
        Assert.True(kept["finished"]!.GetValue<bool>());
        Assert.Equal(Items, kept["succeeded"]!.GetValue<long>());
        var second = await RunAsync();
        Assert.Equal((false, (long)Items), (first.Resumed, first.Succeeded));
        Assert.Equal((false, (long)Items), (second.Resumed, second.Succeeded));
    }

    [Fact]
    public async Task Without_durability_a_resumable_source_runs_from_its_beginning()
    {
        var handled = new ConcurrentBag<int>();
        var report = await Pipeline.Create<int>(Sys, "plain-resumable")
            .WithResumableSource<int, long>("numbers", Numbers)
            .WithHandler(handled.Add)
            .Start().Completion.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Items, report.Succeeded);
        Assert.Equal(Enumerable.Range(0, Items), handled.Order());
    }

    [Fact]
    public async Task A_store_that_cannot_be_reached_faults_the_run_naming_it()
    {
        // A port nobody listens on: the journal cannot read the state, and the run says where it looked.
        var unreachable = DurableStore.PostgreSql("Host=127.0.0.1;Port=1;Username=nobody;Password=secret;Database=nothing;Timeout=2");
        var handle = Pipeline.Create<int>(Sys, "unreachable").WithDurability(Id, unreachable)
            .WithResumableSource<int, long>("numbers", Numbers).WithHandler(_ => { }).Start();

        var error = await Assert.ThrowsAsync<PipelineFaultedException>(() => handle.Completion.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.IsType<DurableStateException>(error.InnerException);
        Assert.Contains("PostgreSQL database 'nothing' on 127.0.0.1:1", error.Message);
        Assert.DoesNotContain("secret", error.ToString(), StringComparison.Ordinal);
    }

    void IDisposable.Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A journal connection of a stopped system may still hold the file for a moment; the folder is a temporary one.
        }
    }
}
