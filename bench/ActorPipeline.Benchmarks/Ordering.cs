using System.Diagnostics;
using Akka.Configuration;

namespace ActorPipeline.Benchmarks;

/// <summary>What ordering costs, each against the same pipeline without it (capacity 1024, 3 producers): results in
/// order against results as they come (trivial and ~2 µs CPU items, 2 consumers), and ordering keys — 10,000 keys against
/// none on 2 consumers, one key against none on 1 consumer (~2 µs CPU items).</summary>
/// <remarks>The two runs of a pair alternate, five of each after one of each to warm up, and the medians are compared.
/// Every run checks that each item succeeded once (the sum of the results); the ordered runs check their order.</remarks>
internal static class Ordering
{
    private const int Producers = 3;

    public static async Task<int> RunAsync(bool quick)
    {
        using var system = Pipeline.CreateSystem("ordering", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        using var delay = new MicroDelay(TimeSpan.FromMicroseconds(50));
        var (trivial, cpu) = Work.TrivialAndCpu(delay);
        var scale = quick ? 4 : 1;
        var ok = true;
        Console.WriteLine("Capacity 1024, P=3, medians of 5 alternating runs after one of each to warm up.");
        Console.WriteLine("Results in order ÷ results as they come, C=2:");
        ok &= await Alternating.CompareAsync("trivial", 30_000_000 / scale, items => RunOneAsync(system, trivial, items, 2, inOrder: true, keys: 0),
            items => RunOneAsync(system, trivial, items, 2, inOrder: false, keys: 0));
        ok &= await Alternating.CompareAsync("~2 µs CPU", 1_200_000 / scale, items => RunOneAsync(system, cpu, items, 2, inOrder: true, keys: 0),
            items => RunOneAsync(system, cpu, items, 2, inOrder: false, keys: 0));
        Console.WriteLine("Ordering keys ÷ no keys, ~2 µs CPU:");
        ok &= await Alternating.CompareAsync("10,000 keys, C=2", 1_200_000 / scale, items => RunOneAsync(system, cpu, items, 2, inOrder: false, keys: 10_000),
            items => RunOneAsync(system, cpu, items, 2, inOrder: false, keys: 0));
        ok &= await Alternating.CompareAsync("one key ÷ C=1", 600_000 / scale, items => RunOneAsync(system, cpu, items, 2, inOrder: false, keys: 1),
            items => RunOneAsync(system, cpu, items, 1, inOrder: false, keys: 0));
        return ok ? 0 : 1;
    }

    private static int _runs;

    // Items per second, or 0 when a result was lost or doubled, or came out of order where order was asked for.
    private static async Task<double> RunOneAsync(Akka.Actor.ActorSystem system, Work work, long items, int consumers, bool inOrder, int keys)
    {
        var share = items / Producers;
        long sum = 0;
        var last = new long[Producers];
        Array.Fill(last, -1);
        var inSequence = true;
        var builder = Pipeline.Create<long>(system, $"run-{_runs++}")
            .WithSettings(s => s.WithCapacity(1024).WithConsumers(consumers).WithResultsInOrder(inOrder))
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
        if (keys > 0)
            builder.WithOrderingKey(item => item % keys);
        for (var p = 0; p < Producers; p++)
        {
            var start = p * share;
            builder.WithSource(_ => Paced.Range(start, share));
        }

        var clock = Stopwatch.StartNew();
        var report = await builder.Start().Completion;
        var seconds = clock.Elapsed.TotalSeconds;
        var total = share * Producers;
        return report.Succeeded == total && sum == total * (total - 1) / 2 && (!inOrder || inSequence) ? total / seconds : 0;
    }

}
