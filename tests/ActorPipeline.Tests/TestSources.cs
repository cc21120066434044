using System.Runtime.CompilerServices;

namespace ActorPipeline.Tests;

/// <summary>Item sources for specs.</summary>
internal static class TestSources
{
    /// <summary>A generous bound for a run to finish; a spec only waits this long when the pipeline hangs.</summary>
    public static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    /// <summary>How often a spec looks again at a condition it waits for (without it, TestKit sleeps most of the deadline first).</summary>
    public static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(10);

    /// <summary>The numbers start, start+1, … (count of them), calling <paramref name="onEmit"/> before each is yielded.</summary>
    public static async IAsyncEnumerable<int> Range(
        int start, int count, Action<int>? onEmit = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (var i = start; i < start + count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            onEmit?.Invoke(i);
            yield return i;
        }

        await Task.CompletedTask;
    }

    /// <summary>Yields <paramref name="before"/> numbers from <paramref name="start"/>, then throws.</summary>
    public static async IAsyncEnumerable<int> ThrowAfter(int start, int before, Exception error)
    {
        for (var i = start; i < start + before; i++)
            yield return i;
        await Task.CompletedTask;
        throw error;
    }
}
