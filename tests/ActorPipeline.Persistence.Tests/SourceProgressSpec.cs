using ActorPipeline.Internal;
using ActorPipeline.Persistence.Internal;

namespace ActorPipeline.Persistence.Tests;

/// <summary>A resumable source's progress, written and read back as the next run would: where it resumes, what it passes
/// over, and what it takes again.</summary>
public sealed class SourceProgressSpec
{
    private static SourceProgress<long> Fresh(PipelineCounters? counters = null) =>
        new("numbers", Comparer<long>.Default, counters ?? new PipelineCounters("p"), saved: null);

    // The state as the journal writes it, read back as the next run reads it.
    private static SourceProgress<long> Next(SourceProgress<long> progress, PipelineCounters counters)
    {
        var bytes = SavedState.Write("id", 0, 0, [new("numbers", progress.Snapshot()())]);
        var saved = SavedState.Read(bytes, "id", "test store")!;
        return new SourceProgress<long>("numbers", Comparer<long>.Default, counters, saved.Sources["numbers"]);
    }

    [Fact]
    public void The_next_run_resumes_at_the_last_of_the_first_finished_items_and_passes_over_later_finished_ones()
    {
        var progress = Fresh();
        for (long position = 0; position < 10; position++)
            Assert.True(progress.Take(position * 10));
        progress.Finished(0, 3);   // 0, 10, 20
        progress.Finished(5, 2);   // 50, 60
        progress.Finished(8, 1);   // 80

        var counters = new PipelineCounters("p");
        var next = Next(progress, counters);

        Assert.Equal(ResumePoint<long>.At(20), next.Start);
        var entered = new[] { 20L, 30, 40, 50, 60, 70, 80, 90, 100 }.Where(next.Take).ToArray();
        Assert.Equal([30L, 40, 70, 90, 100], entered);
        // 30, 40, 70 and 90 were read by the earlier run and not finished: taken up again; 100 is new.
        Assert.Equal(4, counters.Recovered);
    }

    [Fact]
    public void A_run_that_crashes_before_reaching_what_an_earlier_run_finished_keeps_passing_it_over()
    {
        var first = Fresh();
        for (long position = 0; position < 6; position++)
            first.Take(position);
        first.Finished(3, 3); // 3, 4, 5 finished; 0, 1, 2 not

        var second = Next(first, new PipelineCounters("p"));
        Assert.Equal(ResumePoint<long>.Beginning, second.Start);
        Assert.True(second.Take(0));
        second.Finished(0, 1);
        // The second run stops here: 1 .. 5 were not read again.

        var third = Next(second, new PipelineCounters("p"));
        Assert.Equal(ResumePoint<long>.At(0), third.Start);
        Assert.Equal([1L, 2, 6], new long[] { 0, 1, 2, 3, 4, 5, 6 }.Where(third.Take).ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Over_many_items_finished_in_any_order_the_next_run_takes_exactly_the_unfinished_ones(int seed)
    {
        var random = new Random(seed);
        const int count = 5000;
        var progress = Fresh();
        for (long position = 0; position < count; position++)
            progress.Take(position * 3);
        // Every item finishes but a scattered few, in runs of random length and in a random order.
        var unfinished = Enumerable.Range(0, 20).Select(_ => (long)random.Next(count)).ToHashSet();
        var runs = new List<(long Seq, int Count)>();
        for (long seq = 0; seq < count;)
        {
            if (unfinished.Contains(seq))
            {
                seq++;
                continue;
            }

            var length = 1;
            while (length < 300 && seq + length < count && !unfinished.Contains(seq + length))
                length++;
            runs.Add((seq, length));
            seq += length;
        }

        foreach (var (seq, length) in runs.OrderBy(_ => random.Next()))
            progress.Finished(seq, length);

        var next = Next(progress, new PipelineCounters("p"));
        var start = next.Start.HasPosition ? next.Start.Position : 0;
        var taken = Enumerable.Range(0, count).Select(i => i * 3L).Where(p => p >= start).Where(next.Take).ToHashSet();
        Assert.Equal(unfinished.Select(seq => seq * 3).ToHashSet(), taken);
    }

    [Fact]
    public void A_source_whose_items_all_finished_is_not_run_again()
    {
        var progress = Fresh();
        progress.Take(1);
        progress.Take(2);
        progress.SourceEnded();
        Assert.False(Next(progress, new PipelineCounters("p")).Ended);

        progress.Finished(0, 2);
        Assert.True(Next(progress, new PipelineCounters("p")).Ended);
    }

    [Fact]
    public void Positions_that_do_not_increase_are_refused_naming_the_source()
    {
        var progress = Fresh();
        progress.Take(5);
        var error = Assert.Throws<InvalidOperationException>(() => progress.Take(5));
        Assert.Contains("'numbers'", error.Message);
    }

    [Fact]
    public void A_state_that_is_not_one_is_refused_naming_the_store()
    {
        var error = Assert.Throws<DurableStateException>(() => SavedState.Read("{\"something\": 1}"u8.ToArray(), "id", "SQLite file '/x.db'"));
        Assert.Contains("SQLite file '/x.db'", error.Message);
        Assert.Throws<DurableStateException>(() => SavedState.Read(new byte[] { 0xff, 0x00, 0x13 }, "id", "store"));
        Assert.Throws<DurableStateException>(() => SavedState.Read(SavedState.Write("other", 0, 0, []), "id", "store"));
    }

    [Fact]
    public void Positions_of_another_type_are_refused()
    {
        var bytes = SavedState.Write("id", 0, 0, [new("numbers", Fresh().Snapshot()())]);
        var text = System.Text.Encoding.UTF8.GetString(bytes).Replace("\"from\":null", "\"from\":\"abc\"", StringComparison.Ordinal);
        var saved = SavedState.Read(System.Text.Encoding.UTF8.GetBytes(text), "id", "store")!;
        Assert.Throws<DurableStateException>(() => new SourceProgress<long>("numbers", Comparer<long>.Default, new PipelineCounters("p"), saved.Sources["numbers"]));
    }
}
