using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ActorPipeline.Benchmarks;

/// <summary>Asynchronous waits of a few tens of microseconds, which <c>Task.Delay</c> (millisecond timers) cannot give.</summary>
/// <remarks>
/// One background thread sleeps (usleep, not spinning) until the oldest wait is due and completes it. Waits are
/// completed in arrival order, which is due order when they all have the same length or come from one waiter.
/// Continuations run on the thread pool.
/// </remarks>
internal sealed class MicroDelay : IDisposable
{
    private readonly ConcurrentQueue<(long Due, TaskCompletionSource Done)> _waits = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly long _ticks;
    private readonly Thread _thread;
    private volatile bool _stopped;

    public MicroDelay(TimeSpan wait)
    {
        Wait = wait;
        _ticks = (long)(wait.TotalSeconds * Stopwatch.Frequency);
        _thread = new Thread(Run) { IsBackground = true, Name = "micro-delay" };
        _thread.Start();
    }

    public TimeSpan Wait { get; }

    /// <summary>Completes after <see cref="Wait"/>.</summary>
    public Task WaitAsync() => WaitUntilAsync(Stopwatch.GetTimestamp() + _ticks);

    /// <summary>Completes at the <see cref="Stopwatch"/> timestamp <paramref name="due"/>.</summary>
    public Task WaitUntilAsync(long due)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _waits.Enqueue((due, done));
        _signal.Release();
        return done.Task;
    }

    /// <summary>The mean time one wait really takes, measured over <paramref name="samples"/> sequential waits.</summary>
    public async Task<TimeSpan> MeasureAsync(int samples)
    {
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < samples; i++)
            await WaitAsync();
        return Stopwatch.GetElapsedTime(start) / samples;
    }

    private void Run()
    {
        while (!_stopped)
        {
            _signal.Wait();
            if (!_waits.TryDequeue(out var next))
                continue;
            for (var remaining = next.Due - Stopwatch.GetTimestamp(); remaining > 0; remaining = next.Due - Stopwatch.GetTimestamp())
                Sleep(TimeSpan.FromSeconds((double)remaining / Stopwatch.Frequency));
            next.Done.SetResult();
        }
    }

    // Thread.Sleep rounds to whole milliseconds; usleep sleeps for microseconds without using the CPU.
    private static void Sleep(TimeSpan time)
    {
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
            _ = usleep((uint)Math.Max(1, time.TotalMicroseconds));
        else
            Thread.Sleep(time);
    }

    [DllImport("libc", EntryPoint = "usleep")]
    private static extern int usleep(uint microseconds);

    public void Dispose()
    {
        _stopped = true;
        _signal.Release();
    }
}
