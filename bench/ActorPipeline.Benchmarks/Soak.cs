using System.Diagnostics;
using System.Runtime.CompilerServices;
using Akka.Configuration;

namespace ActorPipeline.Benchmarks;

/// <summary>Runs one pipeline at full speed for a given time, sampling memory every second, then drains it and checks the accounting.</summary>
internal static class Soak
{
    public static async Task<int> RunAsync(TimeSpan duration, Sizing sizing, int size)
    {
        using var system = Pipeline.CreateSystem("soak", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        long emitted = 0;
        var builder = Pipeline.Create<long>(system, "soak")
            .WithSettings(s => (sizing == Sizing.Capacity ? s.WithCapacity(size) : s.WithBufferSize(size)).WithConsumers(Bench.Consumers))
            .WithHandler(Work.Sum);
        for (var p = 0; p < Bench.Producers; p++)
            builder.WithSource(ct => Endless(() => Interlocked.Increment(ref emitted), ct));

        var pipeline = builder.Start();
        var clock = Stopwatch.StartNew();
        long peak = 0;
        var samples = 0;
        Console.WriteLine("seconds,items,working_set_mib,gc_heap_mib");
        while (clock.Elapsed < duration)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            var status = await pipeline.GetStatusAsync();
            var workingSet = Environment.WorkingSet;
            peak = Math.Max(peak, workingSet);
            if (++samples % 10 == 0 || clock.Elapsed >= duration)
                Console.WriteLine($"{clock.Elapsed.TotalSeconds:F0},{status.Succeeded},{workingSet / 1048576.0:F1},{GC.GetTotalMemory(false) / 1048576.0:F1}");
        }

        var report = await pipeline.DrainAsync();
        var final = Environment.WorkingSet;
        var held = report.Produced == report.Succeeded + report.Failed && report.Failed == 0 && report.Produced <= Interlocked.Read(ref emitted);
        var perItem = Math.Max(1, report.Succeeded);
        Console.WriteLine($"items processed: {report.Succeeded:N0} in {report.Elapsed.TotalSeconds:F0} s ({report.ItemsPerSecond / 1e6:F2} M/s) threads {ThreadPool.ThreadCount} work items {ThreadPool.CompletedWorkItemCount:N0}");
        Console.WriteLine($"per item: {(double)ThreadPool.CompletedWorkItemCount / perItem:F3} thread-pool work items, {(double)GC.GetTotalAllocatedBytes(true) / perItem:F0} bytes allocated (whole process, start-up included)");
        Console.WriteLine($"peak working set: {peak / 1048576.0:F1} MiB; final: {final / 1048576.0:F1} MiB");
        Console.WriteLine($"accounting: produced {report.Produced:N0} = succeeded {report.Succeeded:N0} + failed {report.Failed:N0}: {(held ? "held" : "BROKEN")}");
        return held ? 0 : 1;
    }

    private static async IAsyncEnumerable<long> Endless(Func<long> next, [EnumeratorCancellation] CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
            yield return next();
        await Task.CompletedTask;
    }
}
