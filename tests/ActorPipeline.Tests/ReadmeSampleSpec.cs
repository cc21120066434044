using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Akka.Actor;

namespace ActorPipeline.Tests;

/// <summary>Runs the embedding example of README.md and checks that the README shows exactly this code.</summary>
public sealed partial class ReadmeSampleSpec
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
    public void The_readme_shows_the_example_as_it_is_compiled()
    {
        var here = File.ReadAllText(SourcePath());
        var example = ExampleRegion().Match(here).Groups["code"].Value;
        var dedented = string.Join('\n', example.Split('\n').Select(l => l.Length >= 8 ? l[8..] : l.TrimStart())).Trim();

        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md")).ReplaceLineEndings("\n");

        Assert.False(string.IsNullOrWhiteSpace(dedented));
        Assert.Contains(dedented, readme);
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

    [GeneratedRegex(@"#region readme-example\r?\n(?<code>.*?)\r?\n\s*#endregion", RegexOptions.Singleline)]
    private static partial Regex ExampleRegion();

    private static string SourcePath([CallerFilePath] string path = "") => path;

    private static string RepositoryRoot() =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(SourcePath())!, "..", ".."));
}
