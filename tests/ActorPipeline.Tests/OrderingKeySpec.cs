using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using Xunit.Abstractions;

namespace ActorPipeline.Tests;

/// <summary><c>WithOrderingKey</c>: items with the same key reach the handler one at a time, in the order their producer
/// sent them, through retries, waits and killed routees, while other keys go on in parallel.</summary>
public sealed class OrderingKeySpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.loglevel = OFF"), output: output)
{
    [Fact]
    public async Task Random_schedules_with_retries_waits_and_killed_routees_keep_each_keys_order()
    {
        await SeededCases.RunAsync("ACTOR_PIPELINE_KEY", 60, RunCaseAsync);
    }

    private async Task RunCaseAsync(int seed)
    {
        var random = new Random(seed);
        var schedule = new RandomSchedule(random);
        var keys = new[] { 1, 2, 3, 7, 50, 10_000 }[random.Next(6)];
        var inOrder = random.Next(3) == 0;
        var kill = random.Next(2) == 0;
        var killAt = random.Next(schedule.Total + 1);
        var emittedCount = 0;

        // Every try, as it starts, in the order tries start; and whether two items of a key were ever in handlers at once.
        var starts = new ConcurrentQueue<int>();
        var busy = new ConcurrentDictionary<int, int>();
        var overlaps = 0;
        var results = new List<int>();
        var faults = new FaultQueue();
        var builder = Pipeline.Create<int>(Sys, $"keys-{seed}")
            .WithSettings(settings => schedule.Apply(settings).WithResultsInOrder(inOrder))
            .WithOrderingKey(item => item % 1000 % keys)
            .WithHandler(
                async (item, _) =>
                {
                    starts.Enqueue(item);
                    if (busy.AddOrUpdate(item % 1000 % keys, 1, (_, n) => n + 1) > 1)
                        Interlocked.Increment(ref overlaps);
                    try
                    {
                        return await schedule.HandleAsync(item);
                    }
                    finally
                    {
                        busy.AddOrUpdate(item % 1000 % keys, 0, (_, n) => n - 1);
                    }
                },
                results.Add);
        var pipeline = schedule.AddSources(builder, Emitted).Start();
        var report = await faults.RunUntilDoneAsync(Sys, pipeline);
        Assert.Equal(schedule.Total, report.Produced);
        Assert.Equal(report.Produced, report.Succeeded + report.Failed);
        Assert.Equal(report.Succeeded, results.Count);

        // Per producer and key, tries start in the producer's order: an item's next try, or an item after it, never
        // before an earlier one's. (A routee killed mid-item may leave its handler running while the item goes again: one
        // at a time is only promised without kills.)
        var seen = starts.ToArray();
        foreach (var group in seen.GroupBy(item => (Producer: item / 1000, Key: item % 1000 % keys)))
        {
            var sequence = group.ToArray();
            for (var i = 1; i < sequence.Length; i++)
                Assert.True(sequence[i] >= sequence[i - 1], $"key {group.Key.Key} of producer {group.Key.Producer}: {sequence[i]} started after {sequence[i - 1]}");
        }

        if (!kill)
            Assert.Equal(0, overlaps);

        void Emitted(int item)
        {
            if (kill && Interlocked.Increment(ref emittedCount) - 1 == killAt)
                faults.Enqueue(() => faults.Routees.ElementAtOrDefault(killAt % Math.Max(1, faults.Routees.Length))?.Send(Kill.Instance, ActorRefs.NoSender));
        }
    }

    [Fact]
    public async Task A_key_whose_item_is_stuck_holds_back_only_its_own_items()
    {
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handled = new ConcurrentQueue<int>();
        var pipeline = Pipeline.Create<int>(Sys, "keys-stuck")
            .WithSettings(s => s.WithCapacity(64).WithConsumers(2))
            .WithOrderingKey(item => item % 4)
            .WithSource(ct => TestSources.Range(0, 40, cancellationToken: ct))
            .WithHandler(async (item, ct) =>
            {
                if (item == 0)
                    await first.Task.WaitAsync(ct);
                handled.Enqueue(item);
            })
            .Start();

        // Key 0's first item is stuck: the 30 items of keys 1 to 3 are handled by the other routee (under ordering keys no
        // chunk waits at a routee behind another), none of key 0's after it.
        await AwaitConditionAsync(() => handled.Count == 30, TestSources.Hang, TestSources.Poll);
        Assert.All(handled, item => Assert.NotEqual(0, item % 4));

        first.SetResult();
        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.Equal(40, report.Succeeded);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i * 4), handled.Where(item => item % 4 == 0));
    }

    [Fact]
    public async Task An_item_whose_key_cannot_be_had_fails_with_that_cause_and_the_others_go_on()
    {
        var failures = new List<ItemFailure<int>>();
        var pipeline = Pipeline.Create<int>(Sys, "keys-throwing")
            .WithOrderingKey(item => item == 13 ? throw new FormatException("no key for 13") : item % 5)
            .WithSource(ct => TestSources.Range(0, 100, cancellationToken: ct))
            .WithHandler(_ => { })
            .OnFailedItem(failures.Add)
            .Start();

        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.Equal((100L, 99L, 1L), (report.Produced, report.Succeeded, report.Failed));
        var failure = Assert.Single(failures);
        Assert.Equal(13, failure.Item);
        Assert.IsType<FormatException>(failure.Cause.InnerException);
        Assert.Contains("ordering key", failure.Cause.Message);
    }
}
