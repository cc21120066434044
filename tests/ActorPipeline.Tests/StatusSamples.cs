namespace ActorPipeline.Tests;

/// <summary>A pipeline's status, taken as often as it answers while the pipeline runs, and the promises every sample keeps.</summary>
internal static class StatusSamples
{
    /// <summary>Samples the status until the pipeline completes (yielding between samples, so the pipeline runs too).</summary>
    public static async Task<List<PipelineStatus>> TakeAsync(PipelineHandle pipeline)
    {
        var samples = new List<PipelineStatus>();
        while (!pipeline.Completion.IsCompleted)
        {
            samples.Add(await pipeline.GetStatusAsync());
            await Task.Yield();
        }

        return samples;
    }

    /// <summary>Every sample holds at most <paramref name="capacity"/> items in flight, adds up, and no count went back from one sample to the next.</summary>
    public static void AssertEachHolds(IEnumerable<PipelineStatus> samples, long capacity)
    {
        PipelineStatus? previous = null;
        foreach (var status in samples)
        {
            Assert.InRange(status.InFlight, 0, capacity);
            Assert.Equal(status.Produced - status.Succeeded - status.Failed - status.Dropped, status.InFlight);
            if (previous is not null)
            {
                Assert.True(
                    status.Produced >= previous.Produced && status.Succeeded >= previous.Succeeded && status.Failed >= previous.Failed
                    && status.Dropped >= previous.Dropped,
                    $"a count went back: {previous} then {status}");
            }

            previous = status;
        }
    }
}
