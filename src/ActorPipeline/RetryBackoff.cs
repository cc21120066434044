namespace ActorPipeline;

/// <summary>How long a failed item waits before each retry: <paramref name="Min"/> before the first, multiplied by
/// <paramref name="Factor"/> for each retry after it up to <paramref name="Max"/>, and lengthened by a random part of up to
/// <paramref name="Jitter"/> of itself, so items that failed together do not all come back at once.</summary>
/// <param name="Min">The wait before the first retry.</param>
/// <param name="Max">The longest wait before the random part is added.</param>
/// <param name="Factor">How much each wait grows over the one before.</param>
/// <param name="Jitter">The most the random part adds, as a fraction of the wait (0 .. 1).</param>
public sealed record RetryBackoff(TimeSpan Min, TimeSpan Max, double Factor, double Jitter)
{
    /// <summary>The wait before retry number <paramref name="retry"/> (1 for the first), with <paramref name="random"/> in [0, 1).</summary>
    public TimeSpan Delay(int retry, double random)
    {
        var grown = Min.Ticks * Math.Pow(Factor, Math.Max(0, retry - 1));
        var wait = Math.Min(grown, Max.Ticks);
        return TimeSpan.FromTicks((long)(wait * (1 + Jitter * random)));
    }
}
