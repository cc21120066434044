namespace ActorPipeline.TestKit;

/// <summary>Waiting on a pipeline without sleeping: for a status, or for its report, with a deadline that fails with the last status seen.</summary>
public static class PipelineTestExtensions
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(10);

    /// <summary>Asks for the pipeline's status until <paramref name="condition"/> holds, and returns that status.</summary>
    /// <exception cref="TimeoutException">It did not hold within <paramref name="timeout"/>; the message names <paramref name="description"/> and the last status.</exception>
    public static async Task<PipelineStatus> AwaitStatusAsync(
        this PipelineHandle pipeline, Func<PipelineStatus, bool> condition, TimeSpan timeout, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(condition);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var status = await pipeline.GetStatusAsync().ConfigureAwait(false);
            if (condition(status))
                return status;
            if (clock.Elapsed >= timeout)
                throw new TimeoutException($"Pipeline '{pipeline.Name}' did not reach {description ?? "the expected status"} within {timeout}; last status: {status}.");
            await Task.Delay(Poll).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for the pipeline's report.</summary>
    /// <exception cref="TimeoutException">It did not complete within <paramref name="timeout"/>; the message holds the last status.</exception>
    /// <exception cref="PipelineFaultedException">The pipeline faulted.</exception>
    public static async Task<PipelineReport> AwaitReportAsync(this PipelineHandle pipeline, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        if (await Task.WhenAny(pipeline.Completion, Task.Delay(timeout)).ConfigureAwait(false) != pipeline.Completion)
        {
            var status = await pipeline.GetStatusAsync().ConfigureAwait(false);
            throw new TimeoutException($"Pipeline '{pipeline.Name}' did not complete within {timeout}; last status: {status}.");
        }

        return await pipeline.Completion.ConfigureAwait(false);
    }
}
