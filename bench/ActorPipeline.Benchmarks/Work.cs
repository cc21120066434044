using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace ActorPipeline.Benchmarks;

/// <summary>What a consumer does with each item.</summary>
internal enum WorkKind
{
    /// <summary>Adds the item to a per-thread sum.</summary>
    Trivial,

    /// <summary>About 2 µs of CPU, calibrated at start.</summary>
    Cpu,

    /// <summary>About 50 µs of asynchronous waiting (no CPU).</summary>
    Async,
}

/// <summary>The work functions, identical for every system under test.</summary>
internal sealed class Work
{
    [ThreadStatic]
    private static long _sink;

    private Work(WorkKind kind, int spinIterations, MicroDelay delay)
    {
        Kind = kind;
        SpinIterations = spinIterations;
        Delay = delay;
    }

    public WorkKind Kind { get; }

    public int SpinIterations { get; }

    public MicroDelay Delay { get; }

    public bool IsSynchronous => Kind != WorkKind.Async;

    public static Work Create(WorkKind kind, int spinIterations, MicroDelay delay) => new(kind, spinIterations, delay);

    /// <summary>Trivial work and ~2 µs of CPU work (the spin calibrated here), as the side-by-side modes compare them.</summary>
    public static (Work Trivial, Work Cpu) TrivialAndCpu(MicroDelay delay)
    {
        var spin = CalibrateSpin(TimeSpan.FromMicroseconds(2));
        return (Create(WorkKind.Trivial, spin, delay), Create(WorkKind.Cpu, spin, delay));
    }

    /// <summary>Runs the work of a synchronous kind.</summary>
    public void Run(long item)
    {
        if (Kind == WorkKind.Trivial)
            Sum(item);
        else
            Spin(item, SpinIterations);
    }

    /// <summary>Runs the work of any kind.</summary>
    public ValueTask RunAsync(long item)
    {
        if (Kind == WorkKind.Async)
            return new ValueTask(Delay.WaitAsync());
        Run(item);
        return ValueTask.CompletedTask;
    }

    // NoInlining and AggressiveOptimization keep the cost of the work the same in every process and every caller.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Sum(long item) => _sink += item;

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Spin(long item, int iterations)
    {
        var x = item;
        for (var i = 0; i < iterations; i++)
            x = x * 6364136223846793005L + 1442695040888963407L;
        _sink += x;
    }

    /// <summary>The number of spin iterations that take <paramref name="target"/> on this machine (median of 9 measurements).</summary>
    public static int CalibrateSpin(TimeSpan target)
    {
        const int probe = 2_000_000;
        Spin(1, probe);
        var perIteration = new double[9];
        for (var i = 0; i < perIteration.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            Spin(i, probe);
            perIteration[i] = Stopwatch.GetElapsedTime(start).TotalNanoseconds / probe;
        }

        Array.Sort(perIteration);
        return Math.Max(1, (int)(target.TotalNanoseconds / perIteration[perIteration.Length / 2]));
    }
}
