using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Configuration;

namespace ActorPipeline.Benchmarks;

/// <summary>Work that waits for time: items that fail for a while and retry under a backoff, and a pipeline held to
/// max-rate.</summary>
/// <remarks>
/// Backoff: handlers that call a slow service (10 ms, awaited) on 16 consumers; one item in ten is refused at once until
/// a second has passed since its first try, as a service that restarts refuses connections. The other items' rate is compared with a run in
/// which nothing fails; a run that retries at once (no backoff, same max-retries) shows what the backoff is for.
/// Rate: trivial items, 2 consumers, max-rate 1000; the rate is counted from handler starts over 10 s after the first.
/// </remarks>
internal static class Waits
{
    private static readonly TimeSpan ServiceTime = TimeSpan.FromMilliseconds(10);

    public static async Task<int> RunAsync()
    {
        using var system = Pipeline.CreateSystem("waits", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        var ok = true;
        Console.WriteLine("Retry backoff: 16 consumers, 10 ms awaited per item, 16,000 items; failing: 1 in 10 for the first second after its first try.");
        var clean = await BackoffRunAsync(system, "clean", failing: false, backoff: true);
        var waits = await BackoffRunAsync(system, "backoff", failing: true, backoff: true);
        var atOnce = await BackoffRunAsync(system, "at-once", failing: true, backoff: false);
        Console.WriteLine($"  other items' rate with failures and backoff ÷ without failures: {waits.OthersPerSecond / clean.OthersPerSecond:0.00}×");
        ok &= waits.Failed == 0 && waits.MostTries <= 10;

        Console.WriteLine("max-rate = 1000: 2 consumers, trivial items, starts counted from 1 s to 11 s.");
        var starts = new ConcurrentQueue<long>();
        var begun = Stopwatch.GetTimestamp();
        var report = await Pipeline.Create<long>(system, "rate")
            .WithSettings(s => s.WithConsumers(2).WithMaxRate(1000))
            .WithSource(_ => Paced.Range(0, 12_000))
            .WithHandler(_ => starts.Enqueue(Stopwatch.GetTimestamp()))
            .Start().Completion;
        var from = begun + Stopwatch.Frequency;
        var to = from + 10 * Stopwatch.Frequency;
        var inWindow = starts.Count(t => t >= from && t < to);
        Console.WriteLine($"  {inWindow / 10.0:0} items/s over 10 s ({Deviation(inWindow / 10.0, 1000)} from 1000); {report.Succeeded:N0} items in {report.Elapsed.TotalSeconds:0.0} s");
        ok &= report.Succeeded == 12_000;
        ok &= await ClusterRate.RunAsync();
        return ok ? 0 : 1;
    }

    /// <summary>How far <paramref name="rate"/> is from <paramref name="target"/>, in signed percent.</summary>
    public static string Deviation(double rate, double target) =>
        Math.Round((rate / target - 1) * 100, 1).ToString("+0.0;-0.0;+0.0", System.Globalization.CultureInfo.InvariantCulture) + " %";

    private sealed record BackoffRun(double OthersPerSecond, long Failed, int MostTries);

    private static async Task<BackoffRun> BackoffRunAsync(Akka.Actor.ActorSystem system, string name, bool failing, bool backoff)
    {
        const int items = 16_000;
        var firstTry = new ConcurrentDictionary<long, long>();
        var tries = new ConcurrentDictionary<long, int>();
        long lastOther = 0;
        var begun = Stopwatch.GetTimestamp();
        var report = await Pipeline.Create<long>(system, name)
            .WithSettings(s => s.WithConsumers(16).WithMaxRetries(10).WithRetryBackoff(backoff ? TimeSpan.FromMilliseconds(100) : null))
            .WithSource(_ => Paced.Range(0, items))
            .WithHandler(async (item, ct) =>
            {
                var now = Stopwatch.GetTimestamp();
                tries.AddOrUpdate(item, 1, (_, n) => n + 1);
                // A restarting service refuses at once; a running one answers after its service time.
                if (failing && item % 10 == 0 && Stopwatch.GetElapsedTime(firstTry.GetOrAdd(item, now)) < TimeSpan.FromSeconds(1))
                    throw new TimeoutException("service restarting");
                await Task.Delay(ServiceTime, ct);
                if (item % 10 != 0)
                    InterlockedMax(ref lastOther, Stopwatch.GetTimestamp());
            })
            .Start().Completion;
        var others = items - items / 10;
        var seconds = Stopwatch.GetElapsedTime(begun, Volatile.Read(ref lastOther)).TotalSeconds;
        var run = new BackoffRun(others / seconds, report.Failed, tries.Values.Max());
        Console.WriteLine($"  {name,-8} {report.Succeeded:N0} succeeded, {report.Failed:N0} failed, {report.Retried:N0} retries, most tries of one item {run.MostTries}; " +
            $"the other {others:N0} items at {run.OthersPerSecond:N0}/s; run {report.Elapsed.TotalSeconds:0.0} s");
        return run;
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen && Interlocked.CompareExchange(ref target, value, seen) is var was && was != seen)
            seen = was;
    }
}
