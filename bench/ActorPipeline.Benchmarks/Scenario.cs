namespace ActorPipeline.Benchmarks;

/// <summary>One cell of the matrix: P producers, C consumers, a buffer of B items, a kind of work, N items in all.</summary>
internal sealed record Scenario(int Producers, int Consumers, int Buffer, Work Work, long Items)
{
    /// <summary>The items producer <paramref name="p"/> sends: a contiguous share of 0 .. Items-1.</summary>
    public (long Start, long Count) Share(int p)
    {
        var per = Items / Producers;
        var start = p * per;
        return (start, p == Producers - 1 ? Items - start : per);
    }
}

/// <summary>A system under test: moves every item of a scenario from P producers to C consumers that do the work.</summary>
internal interface IPipelineSystem : IAsyncDisposable
{
    /// <summary>The name printed in tables.</summary>
    string Name { get; }

    /// <summary>Runs the scenario to the end; returns how many items the consumers handled.</summary>
    Task<long> RunAsync(Scenario scenario);

    /// <summary>Runs one producer that emits a timestamp every millisecond of <paramref name="clock"/> for
    /// <paramref name="duration"/>; <paramref name="onStart"/> is called with each item as its handler starts.</summary>
    Task RunPacedAsync(int buffer, MicroDelay clock, TimeSpan duration, Action<long> onStart);
}
