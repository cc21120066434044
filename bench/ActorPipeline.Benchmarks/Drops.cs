using System.Diagnostics;
using System.Text.Json;
using Akka.Configuration;

namespace ActorPipeline.Benchmarks;

/// <summary>Drop instead of wait (capacity 64, P=3, C=2): in each drop mode, the producers' rate with consumers that wait
/// 50 µs an item (far slower than the producers) against their rate with consumers that do nothing, and peak memory
/// over 2 M and 20 M items with the slow consumers.</summary>
/// <remarks>A producer's rate is its items over the time until its source ended. The two runs of a pair alternate, five of
/// each after one of each to warm up, and the medians are compared; backpressure with the slow consumers is shown beside
/// them, where the producers go at the consumers' pace. Every run checks <c>Produced == Succeeded + Dropped</c>. Memory is
/// measured in a process of its own per run, so that each peak is that run's.</remarks>
internal static class Drops
{
    private const int Producers = 3;
    private const int Consumers = 2;
    private const int Capacity = 64;

    private sealed record Sample(long PeakWorkingSetBytes, long PeakGcHeapBytes, long Produced, long Dropped);

    public static async Task<int> RunAsync(bool quick)
    {
        var items = quick ? 1_500_000L : 6_000_000L;
        using var delay = new MicroDelay(TimeSpan.FromMicroseconds(50));
        using var system = Pipeline.CreateSystem("drops", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        var ok = true;
        Console.WriteLine($"Capacity {Capacity}, P={Producers}, C={Consumers}, {items:N0} items a run, medians of 5 alternating runs after one of each.");
        Console.WriteLine("Producers' items/s, consumers waiting 50 µs an item ÷ consumers doing nothing:");
        foreach (var mode in new[] { OverflowMode.DropIncoming, OverflowMode.DropOldest, OverflowMode.DropNewest })
        {
            await RunOneAsync(system, mode, null, items / 10);
            await RunOneAsync(system, mode, delay, items / 10);
            var slow = new List<double>();
            var none = new List<double>();
            var droppedSlow = new List<double>();
            var droppedNone = new List<double>();
            for (var round = 0; round < 5; round++)
            {
                var (rate, share) = await RunOneAsync(system, mode, delay, items);
                slow.Add(rate);
                droppedSlow.Add(share);
                (rate, share) = await RunOneAsync(system, mode, null, items);
                none.Add(rate);
                droppedNone.Add(share);
            }

            ok &= slow.Concat(none).All(rate => rate > 0);
            Console.WriteLine($"  {PipelineSettings.OverflowName(mode),-14} {Median(slow):N0} ÷ {Median(none):N0}: {Median(slow) / Median(none):0.00}× " +
                $"({Median(droppedSlow):P1} ÷ {Median(droppedNone):P1} dropped; runs: {string.Join(", ", slow.Zip(none, (a, b) => (a / b).ToString("0.00")))})");
        }

        // For scale: producers that wait, for the consumers that do nothing and for the slow ones.
        var paced = await RunOneAsync(system, OverflowMode.Backpressure, null, items);
        var held = await RunOneAsync(system, OverflowMode.Backpressure, delay, 60_000);
        Console.WriteLine($"  {"backpressure",-14} {paced.Rate:N0} items/s with consumers that do nothing, {held.Rate:N0} with the slow ones: producers wait");

        Console.WriteLine("Peak memory with the slow consumers, a process per run:");
        foreach (var mode in new[] { OverflowMode.DropIncoming, OverflowMode.DropOldest, OverflowMode.DropNewest })
        {
            foreach (var n in new[] { 2_000_000L, 20_000_000L })
            {
                var sample = await RunChildProcessAsync(mode, n);
                ok &= sample.Produced == n;
                Console.WriteLine($"  {PipelineSettings.OverflowName(mode),-14} N={n,10:N0}: peak working set {sample.PeakWorkingSetBytes / 1048576.0,6:F1} MiB, " +
                    $"GC heap {sample.PeakGcHeapBytes / 1048576.0,5:F1} MiB, {(double)sample.Dropped / n:P1} dropped");
            }
        }

        return ok ? 0 : 1;
    }

    /// <summary>The child's side: one run with the slow consumers, its peaks printed as JSON.</summary>
    public static async Task<int> RunChildAsync(string mode, long items)
    {
        using var delay = new MicroDelay(TimeSpan.FromMicroseconds(50));
        using var system = Pipeline.CreateSystem("drops", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        long peakHeap = 0;
        using var sampler = new Timer(_ => Interlocked.Exchange(ref peakHeap, Math.Max(Interlocked.Read(ref peakHeap), GC.GetTotalMemory(false))),
            null, 0, 5);
        var report = await Run(system, PipelineSettings.ParseOverflow(mode), delay, items).Completion;
        peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false));
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        Console.WriteLine(JsonSerializer.Serialize(new Sample(self.PeakWorkingSet64, peakHeap, report.Produced, report.Dropped)));
        return report.Produced == report.Succeeded + report.Dropped ? 0 : 1;
    }

    private static int _runs;

    // The producers' items per second and the share dropped; a rate of 0 when the counts do not add up.
    private static async Task<(double Rate, double Dropped)> RunOneAsync(Akka.Actor.ActorSystem system, OverflowMode mode, MicroDelay? delay, long items)
    {
        var ended = new long[Producers];
        var start = Stopwatch.GetTimestamp();
        var report = await Run(system, mode, delay, items, ended).Completion;
        var seconds = Stopwatch.GetElapsedTime(start, ended.Max()).TotalSeconds;
        var exact = report.Produced == items && report.Produced == report.Succeeded + report.Dropped;
        return (exact ? items / seconds : 0, (double)report.Dropped / items);
    }

    private static PipelineHandle Run(Akka.Actor.ActorSystem system, OverflowMode mode, MicroDelay? delay, long items, long[]? ended = null)
    {
        var builder = Pipeline.Create<long>(system, $"drops-{Interlocked.Increment(ref _runs)}")
            .WithSettings(s => s.WithCapacity(Capacity).WithConsumers(Consumers))
            .WithOverflow(mode);
        if (delay is null)
            builder.WithHandler(Work.Sum);
        else
            builder.WithHandler(async (_, _) => await delay.WaitAsync());
        var share = items / Producers;
        for (var p = 0; p < Producers; p++)
        {
            var producer = p;
            var count = producer == Producers - 1 ? items - producer * share : share;
            builder.WithSource(_ => Range(producer * share, count, ended, producer));
        }

        return builder.Start();
    }

    private static async IAsyncEnumerable<long> Range(long start, long count, long[]? ended, int producer)
    {
        for (var i = start; i < start + count; i++)
            yield return i;
        if (ended is not null)
            ended[producer] = Stopwatch.GetTimestamp();
        await Task.CompletedTask;
    }

    private static async Task<Sample> RunChildProcessAsync(OverflowMode mode, long items)
    {
        var output = await MemoryProbe.RunSelfAsync(
            ["--drops-child", PipelineSettings.OverflowName(mode), items.ToString()], $"The {mode} memory run with {items} items");
        return JsonSerializer.Deserialize<Sample>(output.Trim().Split('\n')[^1])!;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
