using System.Runtime.InteropServices;

namespace ActorPipeline.Host;

/// <summary>Where a job writes and how it is interrupted: the process console for <c>Main</c>, writers and a trigger for specs.</summary>
/// <param name="Out">Results: what a job computed, and nothing else, so it can be redirected.</param>
/// <param name="Error">Progress, the summary, warnings and errors.</param>
/// <param name="Live">Whether <paramref name="Error"/> is a terminal that can show a live display.</param>
/// <param name="Interrupts">Ctrl+C and SIGTERM, or a spec's stand-in.</param>
internal sealed record HostConsole(TextWriter Out, TextWriter Error, bool Live, Interrupts Interrupts)
{
    /// <summary>Whether <see cref="Out"/> is a terminal, where result tables get box drawing and colour.</summary>
    public bool OutIsTerminal { get; init; }

    /// <summary>A console of plain writers (no live display) whose interrupts only a caller triggers.</summary>
    public static HostConsole Plain(TextWriter output, TextWriter error, Interrupts? interrupts = null) =>
        new(output, error, false, interrupts ?? new Interrupts());
}

/// <summary>Interrupts escalate: the first asks the running job to drain, the second to abort, a third ends the process.</summary>
internal sealed class Interrupts : IDisposable
{
    private readonly CancellationTokenSource _drain = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly List<PosixSignalRegistration> _signals = [];
    private int _count;

    /// <summary>Cancelled by the first interrupt.</summary>
    public CancellationToken Drain => _drain.Token;

    /// <summary>Cancelled by the second interrupt.</summary>
    public CancellationToken Abort => _abort.Token;

    /// <summary>Takes SIGINT (Ctrl+C) and SIGTERM for the process; the third one is left to end it.</summary>
    public static Interrupts FromProcess()
    {
        var interrupts = new Interrupts();
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
            interrupts._signals.Add(PosixSignalRegistration.Create(signal, context => context.Cancel = interrupts.Interrupt() <= 2));
        return interrupts;
    }

    /// <summary>Records one interrupt and returns how many there have been.</summary>
    public int Interrupt()
    {
        var count = Interlocked.Increment(ref _count);
        if (count == 1)
            _drain.Cancel();
        else if (count == 2)
            _abort.Cancel();
        return count;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var signal in _signals)
            signal.Dispose();
        _drain.Dispose();
        _abort.Dispose();
    }
}
