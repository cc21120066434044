using Akka.Actor;

namespace ActorPipeline.Tests;

/// <summary>Random cases numbered by seed: <c>{variable}_CASES</c> sets how many run, <c>{variable}_SEED</c> replays one.</summary>
internal static class SeededCases
{
    /// <summary>Runs <paramref name="runCase"/> for seeds 1 .. cases (or the one seed asked for); a failure names its seed.</summary>
    public static async Task RunAsync(string variable, int defaultCases, Func<int, Task> runCase)
    {
        var cases = int.TryParse(Environment.GetEnvironmentVariable($"{variable}_CASES"), out var n) ? n : defaultCases;
        var only = int.TryParse(Environment.GetEnvironmentVariable($"{variable}_SEED"), out var s) ? s : (int?)null;
        foreach (var seed in only is { } one ? [one] : Enumerable.Range(1, cases))
        {
            try
            {
                await runCase(seed);
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"Case with seed {seed} ({variable}_SEED={seed} replays it): {e.Message}\n{e}");
            }
        }
    }
}

/// <summary>Faults a case fires at chosen moments: queued from any thread (a producer's, as it emits), run on the test's.</summary>
internal sealed class FaultQueue
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<Action> _faults = new();

    /// <summary>The routees of the pipeline's pool when it started: empty if a run with nothing to do ended before it was asked.</summary>
    public Akka.Routing.Routee[] Routees { get; private set; } = [];

    /// <summary>Queues <paramref name="fault"/> to run on the test's thread.</summary>
    public void Enqueue(Action fault) => _faults.Enqueue(fault);

    /// <summary>Learns the pipeline's routees (none if a run with nothing to do ended, and its pool with it, before it
    /// was asked), then runs queued faults until the pipeline completes, sampling its status all along; checks that every
    /// sample kept the status's promises (at most <paramref name="maxInFlight"/> items in flight, the capacity unless
    /// given) and returns the report.</summary>
    public async Task<PipelineReport> RunUntilDoneAsync(ActorSystem system, PipelineHandle pipeline, long? maxInFlight = null)
    {
        var asked = system.ActorSelection($"/user/{pipeline.Name}/consumers").Ask<Akka.Routing.Routees>(Akka.Routing.GetRoutees.Instance, TestSources.Hang);
        if (await Task.WhenAny(asked, pipeline.Completion) == asked)
            Routees = (await asked).Members.ToArray();
        var samples = StatusSamples.TakeAsync(pipeline);
        while (!pipeline.Completion.IsCompleted)
        {
            while (_faults.TryDequeue(out var fault))
                fault();
            await Task.WhenAny(pipeline.Completion, Task.Delay(5));
        }

        var report = await pipeline.Completion;
        StatusSamples.AssertEachHolds(await samples, maxInFlight ?? pipeline.Capacity);
        return report;
    }
}

/// <summary>A random run: producers numbered p × 1000 + i, sizes, retries, an optional retry backoff, and items that
/// fail always or on their first try; its handler finishes items out of order (at once, after a yield, after 1 ms).</summary>
internal sealed class RandomSchedule
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, int> _tries = new();
    private readonly int _failEvery;
    private readonly int _flakyEvery;
    private readonly int _slowEvery;

    public RandomSchedule(Random random)
    {
        Counts = Enumerable.Range(0, random.Next(1, 5)).Select(_ => random.Next(0, 300)).ToArray();
        Capacity = random.Next(4) == 0 ? null : random.Next(1, 129);
        Consumers = random.Next(1, 5);
        Retries = random.Next(0, 3);
        Backoff = random.Next(3) == 0;
        _failEvery = random.Next(3) == 0 ? random.Next(2, 9) : 0;
        _flakyEvery = random.Next(2) == 0 ? random.Next(2, 9) : 0;
        _slowEvery = random.Next(2, 6);
    }

    /// <summary>Items per producer.</summary>
    public int[] Counts { get; }

    public int Total => Counts.Sum();

    public int? Capacity { get; }

    public int Consumers { get; }

    public int Retries { get; }

    public bool Backoff { get; }

    /// <summary>The schedule's sizes, retries and backoff over <paramref name="settings"/>.</summary>
    public PipelineSettings Apply(PipelineSettings settings) =>
        settings.WithCapacity(Capacity).WithConsumers(Consumers).WithMaxRetries(Retries)
            .WithRetryBackoff(Backoff ? TimeSpan.FromMilliseconds(1) : null, TimeSpan.FromMilliseconds(5));

    /// <summary>Handles <paramref name="item"/>: returns it, or throws when the schedule fails this try.</summary>
    public async ValueTask<int> HandleAsync(int item)
    {
        if (item % _slowEvery == 0)
            await Task.Delay(1);
        else if (item % 2 == 0)
            await Task.Yield();
        var attempt = _tries.AddOrUpdate(item, 1, (_, t) => t + 1);
        if ((_failEvery > 0 && item % _failEvery == 0) || (_flakyEvery > 0 && attempt == 1 && item % _flakyEvery == 1))
            throw new InvalidOperationException($"item {item} attempt {attempt}");
        return item;
    }

    /// <summary>One source per producer, calling <paramref name="emitted"/> before each item is sent.</summary>
    public PipelineBuilder<int> AddSources(PipelineBuilder<int> builder, Action<int> emitted)
    {
        for (var p = 0; p < Counts.Length; p++)
        {
            var start = p * 1000;
            var count = Counts[p];
            builder.WithSource($"p{p}", ct => TestSources.Range(start, count, emitted, ct));
        }

        return builder;
    }
}
