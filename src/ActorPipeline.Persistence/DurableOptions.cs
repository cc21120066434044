namespace ActorPipeline.Persistence;

/// <summary>How a durable pipeline keeps its state; the defaults suit most pipelines.</summary>
public sealed record DurableOptions
{
    private readonly TimeSpan _writeInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>The options when none are given.</summary>
    public static DurableOptions Default { get; } = new();

    /// <summary>How often the progress is written at most (100 ms by default, 0 .. 1 hour): after a crash, about this much
    /// work is done again.</summary>
    public TimeSpan WriteInterval
    {
        get => _writeInterval;
        init => _writeInterval = value >= TimeSpan.Zero && value <= TimeSpan.FromHours(1)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(WriteInterval), value, "The write interval is between 0 and an hour.");
    }

    /// <summary>Whether a run that finished every item keeps its last state, marked finished, for inspection (off by
    /// default: it is deleted). Either way the next run with the id starts afresh.</summary>
    public bool KeepFinishedState { get; init; }
}
