namespace ActorPipeline.Persistence;

/// <summary>Where a resumable source starts: at its beginning, or at <see cref="Position"/> (inclusive), below which every
/// item of earlier runs finished.</summary>
/// <typeparam name="TPosition">The source's positions: any value that orders its items (an offset, a file name, a key).</typeparam>
public readonly record struct ResumePoint<TPosition>
{
    private ResumePoint(TPosition position)
    {
        HasPosition = true;
        Position = position;
    }

    /// <summary>The source's beginning: no earlier run got anywhere.</summary>
    public static ResumePoint<TPosition> Beginning => default;

    /// <summary>At <paramref name="position"/>: the source yields its items from that position on, that one included.</summary>
    public static ResumePoint<TPosition> At(TPosition position) => new(position);

    /// <summary>Whether the source resumes at a position; false at its beginning.</summary>
    public bool HasPosition { get; }

    /// <summary>The position to resume at (inclusive); meaningful only when <see cref="HasPosition"/>.</summary>
    public TPosition Position { get; } = default!;

    /// <inheritdoc />
    public override string ToString() => HasPosition ? $"at {Position}" : "at the beginning";
}
