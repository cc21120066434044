using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;

namespace ActorPipeline.Persistence.Tests;

/// <summary>A durable pipeline described in HOCON: <c>actor-pipeline.durable</c>, a pipeline's own section over it.</summary>
public sealed class DurableConfigSpec : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("actorpipeline-durable-config-").FullName;

    private ActorSystem System(string hocon) => Pipeline.CreateSystem("configured", ConfigurationFactory.ParseString("akka.loglevel = WARNING\n" + hocon));

    private static PipelineBuilder<int> Numbers(ActorSystem system, string name, ConcurrentBag<int> handled, long pauseAt = -1) =>
        Pipeline.Create<int>(system, name)
            .WithDurability()
            .WithResumableSource<int, long>("numbers", (from, ct) => Source(from, pauseAt, ct))
            .WithHandler(handled.Add);

    private static async IAsyncEnumerable<(int, long)> Source(ResumePoint<long> from, long pauseAt, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        for (var i = from.HasPosition ? from.Position : 0; i < 1000; i++)
        {
            if (i == pauseAt)
                await Task.Delay(Timeout.Infinite, ct);
            yield return ((int)i, i);
        }
    }

    [Fact]
    public async Task A_pipeline_s_own_section_names_its_store_and_a_drained_run_is_resumed_from_it()
    {
        // Two pipeline names (an ActorSystem frees a name only once the pipeline's actor has stopped), one state: the id.
        var file = Path.Combine(_folder, "orders.db");
        using var system = System(
            $"actor-pipeline.pipelines.\"orders-a\".durable {{ sqlite = \"{file}\", id = orders }}\n" +
            $"actor-pipeline.pipelines.\"orders-b\".durable {{ sqlite = \"{file}\", id = orders }}");
        var first = new ConcurrentBag<int>();
        var handle = Numbers(system, "orders-a", first, pauseAt: 500).Start();
        await AwaitAsync(() => first.Count == 500);
        await handle.DrainAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(File.Exists(file));

        var second = new ConcurrentBag<int>();
        var report = await Numbers(system, "orders-b", second).Start().Completion.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(report.Resumed);
        Assert.Equal(1000, report.Succeeded);
        Assert.Equal(Enumerable.Range(500, 500), second.Order());
    }

    [Theory]
    [InlineData("", "names no store")]
    [InlineData("actor-pipeline.durable { sqlite = a.db, journal = akka.persistence.journal.inmem }", "names sqlite and journal")]
    [InlineData("actor-pipeline.durable { sqlite = a.db, write-interval = 2h }", "write-interval")]
    [InlineData("actor-pipeline.durable { sqlite = a.db, store = b.db }", "actor-pipeline.durable.store is not a setting")]
    public void A_section_that_does_not_name_one_store_or_does_not_read_is_refused_naming_it(string hocon, string message)
    {
        using var system = System(hocon);
        var error = Assert.Throws<ConfigurationException>(() => Numbers(system, "orders", []));
        Assert.Contains(message, error.Message);
    }

    private static async Task AwaitAsync(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!condition())
            await Task.Delay(10, deadline.Token);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
