using System.Diagnostics;
using Akka.Configuration;

namespace ActorPipeline.Benchmarks;

/// <summary>Handlers that block their thread (a synchronous driver, here a sleep), with the routees on the ActorSystem's
/// default dispatcher and then on threads of their own (blocking-handlers = on).</summary>
/// <remarks>Run in a fresh process: the thread pool starts at its minimum, as in an application.</remarks>
internal static class Blocking
{
    public static async Task<int> RunAsync(int consumers, int items, TimeSpan block)
    {
        using var system = Pipeline.CreateSystem("blocking", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        Console.WriteLine("consumers,items,block_ms,blocking_handlers,seconds,ideal_seconds,thread_pool_threads");
        var ideal = block.TotalSeconds * Math.Ceiling((double)items / consumers);
        foreach (var blocking in new[] { false, true })
        {
            var clock = Stopwatch.StartNew();
            var report = await Pipeline.Create<long>(system, $"blocking-{blocking}")
                .WithSettings(s => s.WithConsumers(consumers).WithBlockingHandlers(blocking))
                .WithSource(_ => Paced.Range(0, items))
                .WithHandler(_ => Thread.Sleep(block))
                .Start().Completion;
            Console.WriteLine($"{consumers},{items},{block.TotalMilliseconds},{(blocking ? "on" : "off")},{clock.Elapsed.TotalSeconds:F2},{ideal:F2},{ThreadPool.ThreadCount}");
            if (report.Succeeded != items)
                return 1;
        }

        return 0;
    }
}
