using System.Diagnostics;
using Akka.Configuration;

namespace ActorPipeline.Benchmarks;

/// <summary>Many pipelines alive at once in one ActorSystem, as an application with one pipeline per tenant runs them.</summary>
/// <remarks>Run in a fresh process: a test runner, or earlier runs, leave the thread pool larger than its minimum, which
/// hides a pipeline that blocks threads while it starts.</remarks>
internal static class Tenants
{
    public static async Task<int> RunAsync(int[] counts, int items)
    {
        using var system = Pipeline.CreateSystem("tenants", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        // No warm-up: the first pipelines of a process start the ActorSystem's scheduler and JIT the code, as in an application.
        Console.WriteLine("pipelines,items_each,seconds,thread_pool_threads");
        var ok = true;
        foreach (var count in counts)
            ok &= await RunRoundAsync(system, count, items, $"t{count}");
        return ok ? 0 : 1;
    }

    private static async Task<bool> RunRoundAsync(Akka.Actor.ActorSystem system, int count, int items, string prefix)
    {
        var clock = Stopwatch.StartNew();
        var pipelines = Enumerable.Range(0, count)
            .Select(i => Pipeline.Create<long>(system, $"{prefix}-{i}")
                .WithSource(_ => Paced.Range(0, items))
                .WithHandler(Work.Sum)
                .Start())
            .ToArray();
        var reports = await Task.WhenAll(pipelines.Select(p => p.Completion));
        var seconds = clock.Elapsed.TotalSeconds;
        var held = reports.All(r => r.Succeeded == items && r.Failed == 0);
        if (!prefix.StartsWith("warm", StringComparison.Ordinal))
            Console.WriteLine($"{count},{items},{seconds:F2},{ThreadPool.ThreadCount}{(held ? "" : ",COUNTS WRONG")}");
        return held;
    }
}
