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

    /// <summary>Learns the pipeline's routees (none if a run with nothing to do ended, and its pool with it, before it was asked).</summary>
    public async Task LearnRouteesAsync(ActorSystem system, PipelineHandle pipeline)
    {
        var asked = system.ActorSelection($"/user/{pipeline.Name}/consumers").Ask<Akka.Routing.Routees>(Akka.Routing.GetRoutees.Instance, TestSources.Hang);
        if (await Task.WhenAny(asked, pipeline.Completion) == asked)
            Routees = (await asked).Members.ToArray();
    }

    /// <summary>Runs queued faults until the pipeline completes.</summary>
    public async Task RunUntilDoneAsync(PipelineHandle pipeline)
    {
        while (!pipeline.Completion.IsCompleted)
        {
            while (_faults.TryDequeue(out var fault))
                fault();
            await Task.WhenAny(pipeline.Completion, Task.Delay(5));
        }
    }
}
