using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Configuration;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace ActorPipeline.Persistence.Tests;

/// <summary>Durable pipelines on a SQLite file: a run that stops — abruptly, or by a drain — is resumed by the next run
/// with the same id; nothing is lost, and each item is counted once across the runs.</summary>
public sealed class DurablePipelineSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.loglevel = WARNING"), output: output), IDisposable
{
    private readonly ITestOutputHelper _output = output;
    private const int Items = 3000;
    private const int Capacity = 64;
    private const string Id = "numbers";
    private readonly string _folder = Directory.CreateTempSubdirectory("actorpipeline-durable-").FullName;

    private string StateFile => Path.Combine(_folder, "state.db");

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

    private PipelineHandle Start(ActorSystem system, ConcurrentDictionary<int, int> handled, int hold = -1, long pauseAt = -1) =>
        Pipeline.Create<int>(system, "durable")
            .WithDurability(Id, DurableStore.Sqlite(StateFile))
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

    // The last state the journal wrote, read from the file as a person would.
    private JsonObject? LastState()
    {
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

    [Fact]
    public async Task A_run_stopped_abruptly_is_resumed_by_the_next_with_nothing_lost_and_each_item_counted_once()
    {
        var first = new ConcurrentDictionary<int, int>();
        var crashed = Crashable("first");
        // Item 1000 is held at its consumer and the source waits before item 2000: once the journal has written that the
        // items before 2000 finished (but the held one, and those behind it in its consumer's hands: at most the
        // capacity), the system stops, without a drain.
        Start(crashed, first, hold: 1000, pauseAt: 2000);
        var before = Enumerable.Range(0, 2000).Count(i => !Fails(i)) - Capacity;
        AwaitCondition(() => LastState()?["succeeded"]?.GetValue<long>() >= before, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(20));
        var written = LastState()!["succeeded"]!.GetValue<long>();
        await crashed.Terminate();

        var second = new ConcurrentDictionary<int, int>();
        var report = await Start(Sys, second).Completion.WaitAsync(TimeSpan.FromSeconds(60));

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
        Assert.Null(LastState());
        var third = await Start(Sys, new ConcurrentDictionary<int, int>()).Completion.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.False(third.Resumed);
        Assert.Equal(Items, third.Produced);
    }

    [Fact]
    public async Task A_drained_run_is_resumed_exactly_where_it_stopped()
    {
        var first = new ConcurrentDictionary<int, int>();
        // The source waits before item 1500, so the run cannot end before the drain: once the items before it are
        // handled, it is drained.
        var handle = Start(Sys, first, pauseAt: 1500);
        var before = Enumerable.Range(0, 1500).Count(i => !Fails(i));
        AwaitCondition(() => first.Count == before, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(10));
        var drained = await handle.DrainAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(PipelineOutcome.Drained, drained.Outcome);
        Assert.NotNull(LastState());

        var second = new ConcurrentDictionary<int, int>();
        var report = await Start(Sys, second).Completion.WaitAsync(TimeSpan.FromSeconds(60));

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

    [Fact]
    public async Task Two_runs_of_one_id_at_once_are_refused()
    {
        var hold = new ConcurrentDictionary<int, int>();
        var running = Start(Sys, hold, hold: 0);
        var second = Pipeline.Create<int>(Sys, "second").WithDurability(Id, DurableStore.Sqlite(StateFile))
            .WithResumableSource<int, long>("numbers", Numbers).WithHandler(_ => { });
        Assert.Contains($"id '{Id}' is running", Assert.Throws<InvalidOperationException>(() => second.Start()).Message);
        await running.AbortAsync(TimeSpan.FromSeconds(1));
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
