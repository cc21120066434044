using ActorPipeline.Host;

namespace ActorPipeline.Tests.Host;

public sealed class ProgressSpec
{
    [Fact]
    public void A_progress_line_shows_counts_in_flight_against_the_bound_rate_and_producers()
    {
        var status = new PipelineStatus("ingest", PipelineState.Running, 1_234_567, 1_200_000, 3, 1, 34_564, 2)
        {
            Elapsed = TimeSpan.FromSeconds(75.4),
        };

        Assert.Equal(
            "[00:01:15] produced 1,234,567, done 1,200,003 (failed 3, retried 1), in flight 34,564 of at most 36,096, 410,000 items/s, producers running 2",
            Progress.Line(status, 36_096, 410_000.4));
    }

    [Fact]
    public void A_progress_line_says_how_many_items_wait_to_retry_and_when_max_rate_holds_work_back()
    {
        var status = new PipelineStatus("demo", PipelineState.Running, 100, 80, 0, 9, 20, 1)
        {
            Elapsed = TimeSpan.FromSeconds(2),
            WaitingToRetry = 7,
            RateLimited = true,
        };

        Assert.EndsWith("producers running 1, 7 waiting to retry, held by max-rate", Progress.Line(status, 64, 40));
    }
}
