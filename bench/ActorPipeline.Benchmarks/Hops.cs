using System.Diagnostics;
using Akka.Actor;

namespace ActorPipeline.Benchmarks;

/// <summary>What one hand-off between actors costs in latency, paced as the latency cell is (1,000 items/s): a
/// timestamp sent through a chain of 1, 2 or 3 actors, from the thread the pacing clock wakes.</summary>
/// <remarks>An item of the pipeline's latency cell crosses three such hand-offs (to its producer, to the stream's actor,
/// to a routee); the channel's crosses one (its reader's continuation). This shows what the hand-offs alone cost.</remarks>
internal static class Hops
{
    private sealed class Relay : ReceiveActor
    {
        public Relay(IActorRef? next, Action<long>? record) => Receive<long>(stamp =>
        {
            if (next is not null)
                next.Tell(stamp);
            else
                record!(stamp);
        });
    }

    public static async Task<int> RunAsync(TimeSpan duration)
    {
        using var clock = new MicroDelay(TimeSpan.FromMicroseconds(50));
        using var system = ActorSystem.Create("hops", "akka.loglevel = WARNING");
        Console.WriteLine($"Latency of a timestamp sent through a chain of actors at 1,000 items/s, {duration.TotalSeconds:0} s per chain.");
        foreach (var hops in new[] { 1, 2, 3 })
        {
            var samples = new List<double>();
            Action<long> record = stamp =>
            {
                lock (samples)
                    samples.Add(Stopwatch.GetElapsedTime(stamp).TotalMicroseconds);
            };
            IActorRef? next = null;
            for (var i = hops; i >= 1; i--)
            {
                var (to, last) = (next, i == hops ? record : null);
                next = system.ActorOf(Props.Create(() => new Relay(to, last)));
            }

            var first = next!;
            await foreach (var stamp in Paced.Timestamps(clock, TimeSpan.FromMilliseconds(200)))
                first.Tell(stamp);
            await Task.Delay(50);
            lock (samples)
                samples.Clear();
            await foreach (var stamp in Paced.Timestamps(clock, duration))
                first.Tell(stamp);
            await Task.Delay(50);

            lock (samples)
            {
                samples.Sort();
                Console.WriteLine($"  {hops} hand-off{(hops == 1 ? "" : "s")}: {samples.Count:N0} samples, p50 {Percentile(samples, 0.50):0} µs, " +
                    $"p99 {Percentile(samples, 0.99):0} µs, max {samples[^1]:0} µs");
            }
        }

        await system.Terminate();
        return 0;
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}
