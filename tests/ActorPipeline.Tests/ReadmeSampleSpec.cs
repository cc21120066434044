using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using ActorPipeline.Persistence;
using Akka.Actor;

namespace ActorPipeline.Tests;

/// <summary>Runs the embedding and results examples of README.md and checks that the README shows exactly this code.</summary>
public sealed class ReadmeSampleSpec
{
    private sealed record Order(string Source, int Number);

    private readonly System.Collections.Concurrent.ConcurrentBag<Order> _stored = [];

    private async IAsyncEnumerable<Order> ReadOrdersAsync(string source, [EnumeratorCancellation] CancellationToken ct)
    {
        for (var i = 0; i < 1000; i++)
        {
            ct.ThrowIfCancellationRequested();
            yield return new Order(source, i);
        }

        await Task.CompletedTask;
    }

    private async Task StoreAsync(Order order, CancellationToken ct)
    {
        if (order.Number == 13)
            throw new InvalidOperationException("unlucky order");
        await Task.Yield();
        _stored.Add(order);
    }

    [Fact]
    public async Task The_embedding_example_runs_and_accounts_for_every_order()
    {
        var report = await EmbeddingExample().WaitAsync(TestSources.Hang);

        Assert.Equal((2000L, 1998L, 2L), (report.Produced, report.Succeeded, report.Failed));
        Assert.Equal(1998, _stored.Count);
        Assert.Equal(2 * 3, report.Retried);
    }

    [Fact]
    public async Task The_results_example_collects_one_sum_per_file()
    {
        using var system = ActorSystem.Create("readme-results");

        var sums = await ResultsExample(system).WaitAsync(TestSources.Hang);

        Assert.Equal(Enumerable.Range(0, 50).Select(i => ($"file-{i}", $"sum-of-file-{i}")).Order(), sums.Order());
    }

    [Fact]
    public async Task The_waits_example_charges_every_order_once_its_provider_answers()
    {
        using var system = ActorSystem.Create("readme-waits");

        var report = await WaitsExample(system).WaitAsync(TestSources.Hang);

        Assert.Equal((1000L, 1000L, 0L, 10L), (report.Produced, report.Succeeded, report.Failed, report.Retried));
        Assert.Equal(1000, _charged.Count);
    }

    [Fact]
    public async Task The_batches_example_stores_every_order_but_the_one_the_store_rejects()
    {
        using var system = ActorSystem.Create("readme-batches");

        var report = await BatchesExample(system).WaitAsync(TestSources.Hang);

        Assert.Equal((1000L, 999L, 1L, 2L), (report.Produced, report.Succeeded, report.Failed, report.Retried));
        Assert.Equal(999, _stored.Count);
        Assert.Equal(13, Assert.Single(report.FailuresOf<Order>()).Item.Number);
    }

    [Fact]
    public async Task The_in_order_example_lists_the_sums_in_the_order_of_the_listing()
    {
        using var system = ActorSystem.Create("readme-in-order");

        var lines = await InOrderExample(system).WaitAsync(TestSources.Hang);

        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"sum-of-file-{i}  file-{i}"), lines);
    }

    [Fact]
    public async Task The_keys_example_applies_each_accounts_orders_one_at_a_time_in_order()
    {
        using var system = ActorSystem.Create("readme-keys");

        var report = await KeysExample(system).WaitAsync(TestSources.Hang);

        Assert.Equal((1000L, 1000L), (report.Produced, report.Succeeded));
        foreach (var account in _applied.GroupBy(order => order.Number % 100))
            Assert.Equal(Enumerable.Range(0, 10).Select(i => account.Key + 100 * i), account.Select(order => order.Number));
    }

    [Fact]
    public async Task The_drops_example_shows_the_newest_quotes_and_counts_what_made_room()
    {
        using var system = ActorSystem.Create("readme-drops");

        var (report, skipped) = await DropsExample(system).WaitAsync(TestSources.Hang);

        Assert.Equal(10_000L, report.Produced);
        Assert.Equal(report.Produced, report.Succeeded + report.Dropped);
        Assert.Equal(report.Dropped, skipped);
        Assert.Equal(report.Succeeded, _shown.Count);
    }

    [Fact]
    public async Task The_durable_example_imports_every_line_and_leaves_no_state_behind()
    {
        using var system = ActorSystem.Create("readme-durable");
        var folder = Directory.CreateTempSubdirectory("actorpipeline-readme-").FullName;
        var logFile = Path.Combine(folder, "orders.log");
        var stateFile = Path.Combine(folder, "import.state.db");
        await File.WriteAllLinesAsync(logFile, Enumerable.Range(0, 1000).Select(i => $"order {i}"));

        var report = await DurableExample(system, logFile, stateFile).WaitAsync(TestSources.Hang);

        Assert.Equal((1000L, 1000L, false), (report.Produced, report.Succeeded, report.Resumed));
        Assert.Equal(1000, _imported.Count);
        // A second run (in an ActorSystem of its own: the first pipeline's name is freed only once its actor has stopped)
        // finds no state left: it is a fresh run, and imports every line again.
        using var next = ActorSystem.Create("readme-durable-next");
        Assert.False((await DurableExample(next, logFile, stateFile).WaitAsync(TestSources.Hang)).Resumed);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }

    [Theory]
    [InlineData("readme-batches")]
    [InlineData("readme-durable")]
    [InlineData("readme-durable-source")]
    [InlineData("readme-drops")]
    [InlineData("readme-example")]
    [InlineData("readme-in-order")]
    [InlineData("readme-keys")]
    [InlineData("readme-results")]
    [InlineData("readme-waits")]
    public void The_readme_shows_the_example_as_it_is_compiled(string region)
    {
        var here = File.ReadAllText(SourcePath());
        var example = Regex.Match(here, $@"#region {region}\r?\n(?<code>.*?)\r?\n\s*#endregion", RegexOptions.Singleline).Groups["code"].Value;
        var dedented = string.Join('\n', example.Split('\n').Select(l => l.Length >= 8 ? l[8..] : l.TrimStart())).Trim();

        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md")).ReplaceLineEndings("\n");

        Assert.False(string.IsNullOrWhiteSpace(dedented));
        Assert.Contains(dedented, readme);
    }

    private static async IAsyncEnumerable<string> ListFilesAsync([EnumeratorCancellation] CancellationToken ct)
    {
        for (var i = 0; i < 50 && !ct.IsCancellationRequested; i++)
            yield return $"file-{i}";
        await Task.CompletedTask;
    }

    private static string Sha256Of(string path) => $"sum-of-{path}";

    private readonly System.Collections.Concurrent.ConcurrentBag<string> _imported = [];

    private async Task ImportAsync(string line, CancellationToken ct)
    {
        await Task.Yield();
        _imported.Add(line);
    }

    // The README shows the source as a method of its own; here it is a local function, indented as the other examples.
    private static IAsyncEnumerable<(string Line, long Number)> ReadLinesAsync(string path, ResumePoint<long> from, CancellationToken ct)
    {
        #region readme-durable-source
        // Each line with its number; resumed at a line number, the lines from that one on.
        static async IAsyncEnumerable<(string Line, long Number)> ReadLinesAsync(
            string path, ResumePoint<long> from, [EnumeratorCancellation] CancellationToken ct)
        {
            long number = 0;
            await foreach (var line in File.ReadLinesAsync(path, ct))
            {
                if (!from.HasPosition || number >= from.Position)
                    yield return (line, number);
                number++;
            }
        }
        #endregion
        return ReadLinesAsync(path, from, ct);
    }

    private async Task<PipelineReport> DurableExample(ActorSystem system, string logFile, string stateFile)
    {
        #region readme-durable
        var pipeline = Pipeline.Create<string>(system, "import")
            .WithDurability("import-orders", DurableStore.Sqlite(stateFile))   // the file is created on first use
            .WithResumableSource<string, long>("orders", (from, ct) => ReadLinesAsync(logFile, from, ct))
            .WithHandler(async (line, ct) => await ImportAsync(line, ct))
            .Start();

        PipelineReport report = await pipeline.Completion;
        Console.WriteLine(report.Resumed ? $"resumed; {report.Recovered} lines taken up again" : "a fresh run");
        #endregion
        return report;
    }

    private static async Task<List<(string Path, string Sum)>> ResultsExample(ActorSystem system)
    {
        #region readme-results
        var sums = new List<(string Path, string Sum)>();
        var pipeline = Pipeline.Create<string>(system, "sums")
            .WithSource(ct => ListFilesAsync(ct))
            .WithHandler(path => (path, Sha256Of(path)), sums.Add)   // sums is only touched on the pipeline's actor
            .Start();
        await pipeline.Completion;
        #endregion
        return sums;
    }

    private static async Task<List<string>> InOrderExample(ActorSystem system)
    {
        #region readme-in-order
        var lines = new List<string>();
        var pipeline = Pipeline.Create<string>(system, "listing")
            .WithSource(ct => ListFilesAsync(ct))
            .WithHandler(path => $"{Sha256Of(path)}  {path}", lines.Add)   // hashed in parallel, listed in the source's order
            .WithResultsInOrder()
            .Start();
        await pipeline.Completion;
        #endregion
        return lines;
    }

    private async Task<PipelineReport> EmbeddingExample()
    {
        #region readme-example
        // The ActorSystem the application already has.
        using var system = ActorSystem.Create("shop");

        var pipeline = Pipeline.Create<Order>(system, "orders")
            .WithSettings(s => s.WithBufferSize(256).WithConsumers(4).WithMaxRetries(3))
            .WithSource("web", ct => ReadOrdersAsync("web", ct))     // one producer actor per source
            .WithSource("batch", ct => ReadOrdersAsync("batch", ct))
            .WithHandler(async (order, ct) => await StoreAsync(order, ct))
            .OnFailedItem(f => Console.Error.WriteLine($"{f.Item} failed: {f.Cause.Message}"))
            .Start();

        // Completes when both sources have ended and every order has been stored or failed.
        PipelineReport report = await pipeline.Completion;
        Console.WriteLine($"{report.Succeeded} stored, {report.Failed} failed, {report.ItemsPerSecond:F0} orders/s");
        #endregion
        return report;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<Order, int> _charged = new();

    // A payment provider that turns one order in a hundred away on its first try, as one does under load.
    private async Task ChargeAsync(Order order, CancellationToken ct)
    {
        await Task.Yield();
        if (_charged.AddOrUpdate(order, 0, (_, tries) => tries + 1) == 0 && order.Number % 100 == 7)
            throw new HttpRequestException("429 Too Many Requests");
    }

    // Stores what it can in one round trip and says which orders it rejected, by their index in the batch.
    private async Task<IEnumerable<(int Index, Exception Error)>> StoreManyAsync(IReadOnlyList<Order> orders, CancellationToken ct)
    {
        await Task.Yield();
        var rejected = new List<(int, Exception)>();
        for (var i = 0; i < orders.Count; i++)
        {
            if (orders[i].Number == 13)
                rejected.Add((i, new InvalidOperationException("unlucky order")));
            else
                _stored.Add(orders[i]);
        }

        return rejected;
    }

    private readonly System.Collections.Concurrent.ConcurrentQueue<Order> _applied = new();

    // Applies an order to its account; later orders of the account build on it.
    private async Task ApplyAsync(Order order, CancellationToken ct)
    {
        if (order.Number % 3 == 0)
            await Task.Delay(1, ct);
        _applied.Enqueue(order);
    }

    private sealed record Quote(int Sequence, decimal Price);

    private readonly System.Collections.Concurrent.ConcurrentQueue<int> _shown = new();

    private static async IAsyncEnumerable<Quote> ReadQuotesAsync([EnumeratorCancellation] CancellationToken ct)
    {
        for (var i = 0; i < 10_000 && !ct.IsCancellationRequested; i++)
            yield return new Quote(i, 100 + i % 7);
        await Task.CompletedTask;
    }

    private async Task ShowAsync(Quote quote, CancellationToken ct)
    {
        await Task.Delay(quote.Sequence % 1000 == 0 ? 5 : 0, ct);
        _shown.Enqueue(quote.Sequence);
    }

    private async Task<(PipelineReport, long)> DropsExample(ActorSystem system)
    {
        #region readme-drops
        var skipped = 0L;
        var pipeline = Pipeline.Create<Quote>(system, "quotes")
            .WithSettings(s => s.WithCapacity(64))
            .WithSource(ct => ReadQuotesAsync(ct))
            .WithOverflow(OverflowMode.DropOldest)   // a screen wants the newest quotes: old ones waiting make room
            .OnDroppedItem((quote, reason) => Interlocked.Increment(ref skipped))
            .WithHandler(async (quote, ct) => await ShowAsync(quote, ct))
            .Start();
        #endregion
        var report = await pipeline.Completion;
        return (report, Interlocked.Read(ref skipped));
    }

    private async Task<PipelineReport> KeysExample(ActorSystem system)
    {
        #region readme-keys
        var pipeline = Pipeline.Create<Order>(system, "ledger")
            .WithSource(ct => ReadOrdersAsync("web", ct))
            .WithOrderingKey(order => order.Number % 100)   // the account: its orders one at a time, in order
            .WithHandler(async (order, ct) => await ApplyAsync(order, ct))
            .Start();
        #endregion
        return await pipeline.Completion;
    }

    private async Task<PipelineReport> BatchesExample(ActorSystem system)
    {
        #region readme-batches
        var pipeline = Pipeline.Create<Order>(system, "bulk")
            .WithSettings(s => s.WithMaxRetries(2))
            .WithSource(ct => ReadOrdersAsync("web", ct))
            .WithBatchHandler(async (orders, ct) =>
            {
                // One round trip for up to 100 orders; an order the store rejects fails alone, and is retried alone.
                foreach (var (index, error) in await StoreManyAsync(orders, ct))
                    orders.Fail(index, error);
            }, maxItems: 100, maxWait: TimeSpan.FromMilliseconds(50))
            .Start();
        #endregion
        return await pipeline.Completion;
    }

    private async Task<PipelineReport> WaitsExample(ActorSystem system)
    {
        #region readme-waits
        var pipeline = Pipeline.Create<Order>(system, "payments")
            .WithSettings(s => s
                .WithMaxRetries(8)
                .WithRetryBackoff(TimeSpan.FromMilliseconds(200), max: TimeSpan.FromSeconds(30)) // 0.2 s, 0.4 s, 0.8 s … 30 s
                .WithMaxRate(500))                                                                // the provider's quota
            .WithSource(ct => ReadOrdersAsync("web", ct))
            .WithHandler(async (order, ct) => await ChargeAsync(order, ct))
            .Start();
        #endregion
        return await pipeline.Completion;
    }

    private static string SourcePath([CallerFilePath] string path = "") => path;

    private static string RepositoryRoot() =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(SourcePath())!, "..", ".."));
}
