namespace ActorPipeline.Benchmarks;

/// <summary>How a cell bounds the systems: all to the same number of items in flight, or each at its defaults around a queue of that size.</summary>
internal enum Sizing
{
    /// <summary>Every system holds at most <see cref="Scenario.Size"/> items anywhere (ActorPipeline's capacity).</summary>
    Capacity,

    /// <summary>Every system's queue holds <see cref="Scenario.Size"/> items; everything else at its defaults.</summary>
    Defaults,
}

/// <summary>One cell of the matrix: P producers, C consumers, a bound of one kind, a kind of work, N items in all.</summary>
internal sealed record Scenario(int Producers, int Consumers, Sizing Sizing, int Size, Work Work, long Items)
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

    /// <summary>The most items this system holds at once in <paramref name="scenario"/>: queued, in stage buffers, in
    /// producers' pending sends and in consumers' hands.</summary>
    long InFlightBound(Scenario scenario);

    /// <summary>Runs one producer that emits a timestamp every millisecond of <paramref name="clock"/> for
    /// <paramref name="duration"/>, bounded to <paramref name="capacity"/> items in flight; <paramref name="onStart"/>
    /// is called with each item as its handler starts.</summary>
    Task RunPacedAsync(int capacity, MicroDelay clock, TimeSpan duration, Action<long> onStart);
}
