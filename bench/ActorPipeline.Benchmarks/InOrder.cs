using System.Diagnostics;
using Akka.Configuration;

namespace ActorPipeline.Benchmarks;

/// <summary>Results in order against results as they come: the same pipeline (capacity 1024, 3 producers, 2 consumers)
/// with a handler that returns a result per item, the callback summing them, with and without <c>results-in-order</c>.</summary>
/// <remarks>The two kinds of run alternate, five of each per kind of work after one of each to warm up, and the medians are compared; every run checks
/// that each result arrived once (the sum), and the ordered runs that each producer's results arrived in order.</remarks>
internal static class InOrder
{
    private const int Producers = 3;

    public static async Task<int> RunAsync(bool quick)
    {
        using var system = Pipeline.CreateSystem("in-order", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        var spin = Work.CalibrateSpin(TimeSpan.FromMicroseconds(2));
        using var delay = new MicroDelay(TimeSpan.FromMicroseconds(50));
        var ok = true;
        Console.WriteLine("Results in order ÷ results as they come: capacity 1024, P=3, C=2, medians of 5 alternating runs after one of each to warm up.");
        foreach (var kind in new[] { WorkKind.Trivial, WorkKind.Cpu })
        {
            var work = Work.Create(kind, spin, delay);
            var items = (kind == WorkKind.Trivial ? 30_000_000L : 1_200_000L) / (quick ? 4 : 1);
            // A first run of each warms them up (JIT, the pools) and is not counted.
            await RunOneAsync(system, work, items / 10, inOrder: false);
            await RunOneAsync(system, work, items / 10, inOrder: true);
            var unordered = new List<double>();
            var ordered = new List<double>();
            for (var round = 0; round < 5; round++)
            {
                unordered.Add(await RunOneAsync(system, work, items, inOrder: false));
                ordered.Add(await RunOneAsync(system, work, items, inOrder: true));
            }

            ok &= unordered.All(r => r > 0) && ordered.All(r => r > 0);
            Console.WriteLine($"  {kind,-8} as they come {Median(unordered):N0} items/s, in order {Median(ordered):N0} items/s: " +
                $"{Median(ordered) / Median(unordered):0.00}× (runs: {string.Join(", ", ordered.Zip(unordered, (o, u) => (o / u).ToString("0.00")))})");
        }

        return ok ? 0 : 1;
    }

    private static int _runs;

    // Items per second, or 0 when a result was lost, doubled or (in order) out of order.
    private static async Task<double> RunOneAsync(Akka.Actor.ActorSystem system, Work work, long items, bool inOrder)
    {
        var share = items / Producers;
        long sum = 0;
        var last = new long[Producers];
        Array.Fill(last, -1);
        var inSequence = true;
        var builder = Pipeline.Create<long>(system, $"run-{_runs++}")
            .WithSettings(s => s.WithCapacity(1024).WithConsumers(2).WithResultsInOrder(inOrder))
            .WithHandler(item =>
            {
                work.Run(item);
                return item;
            }, result =>
            {
                sum += result;
                var producer = (int)(result / share);
                inSequence &= result > last[producer];
                last[producer] = result;
            });
        for (var p = 0; p < Producers; p++)
        {
            var start = p * share;
            builder.WithSource(_ => Paced.Range(start, share));
        }

        var clock = Stopwatch.StartNew();
        var report = await builder.Start().Completion;
        var seconds = clock.Elapsed.TotalSeconds;
        var total = share * Producers;
        var expected = total * (total - 1) / 2;
        return report.Succeeded == total && sum == expected && (!inOrder || inSequence) ? total / seconds : 0;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
