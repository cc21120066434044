using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using Xunit.Abstractions;

namespace ActorPipeline.Tests;

/// <summary><c>results-in-order</c>: results and failures reach their callbacks in the order each producer sent the
/// items, whatever order the handlers finish in, and an item done early waits for its turn inside the capacity.</summary>
public sealed class ResultsInOrderSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.loglevel = OFF"), output: output)
{
    [Fact]
    public async Task Random_schedules_with_retries_waits_and_killed_routees_call_back_in_each_producers_order()
    {
        await SeededCases.RunAsync("ACTOR_PIPELINE_ORDER", 60, RunCaseAsync);
    }

    private async Task RunCaseAsync(int seed)
    {
        var random = new Random(seed);
        var schedule = new RandomSchedule(random);
        var (killAt, killed) = (random.Next(schedule.Total + 1), random.Next(schedule.Consumers));
        var emittedCount = 0;

        // Both callbacks run on the pipeline's actor, one at a time: one list holds what each said, in the order said.
        var said = new List<(int Item, bool Failed)>();
        var faults = new FaultQueue();
        var builder = Pipeline.Create<int>(Sys, $"in-order-{seed}")
            .WithSettings(schedule.Apply)
            .WithResultsInOrder()
            .WithHandler((item, _) => schedule.HandleAsync(item), item => said.Add((item, false)))
            .OnFailedItem(failure => said.Add((failure.Item, true)));
        var pipeline = schedule.AddSources(builder, Emitted).Start();
        var report = await faults.RunUntilDoneAsync(Sys, pipeline);

        Assert.Equal(schedule.Total, report.Produced);
        Assert.Equal(report.Produced, report.Succeeded + report.Failed);
        Assert.Equal(report.Failed, said.Count(s => s.Failed));
        for (var p = 0; p < schedule.Counts.Length; p++)
        {
            var expected = Enumerable.Range(p * 1000, schedule.Counts[p]);
            var seen = said.Where(s => s.Item / 1000 == p).Select(s => s.Item);
            Assert.Equal(expected, seen);
        }

        void Emitted(int item)
        {
            if (Interlocked.Increment(ref emittedCount) - 1 == killAt)
                faults.Enqueue(() => faults.Routees.ElementAtOrDefault(killed % Math.Max(1, faults.Routees.Length))?.Send(Kill.Instance, ActorRefs.NoSender));
        }
    }

    [Fact]
    public async Task A_result_done_before_an_earlier_one_waits_for_it_and_holds_its_place_in_the_capacity()
    {
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var delivered = new ConcurrentQueue<int>();
        var pipeline = Pipeline.Create<int>(Sys, "in-order-held")
            .WithSettings(s => s.WithCapacity(4).WithConsumers(4))
            .WithResultsInOrder()
            .WithSource(ct => TestSources.Range(0, 10, cancellationToken: ct))
            .WithHandler(
                async (item, ct) =>
                {
                    if (item == 0)
                        await first.Task.WaitAsync(ct);
                    return item;
                },
                delivered.Enqueue)
            .Start();

        // Item 0 is stuck in its handler; the three after it, each at a routee of its own (idle routees are served first),
        // finish (and count as succeeded), but nothing is delivered, and with their places still held the producer can send no
        // fifth item.
        await AwaitConditionAsync(async () => (await pipeline.GetStatusAsync()).Succeeded == 3, TestSources.Hang);
        var status = await pipeline.GetStatusAsync();
        Assert.Equal((4L, 3L), (status.Produced, status.Succeeded));
        Assert.Empty(delivered);

        // Once their answers are in, the status says the three wait for their turn.
        await AwaitConditionAsync(async () => (await pipeline.GetStatusAsync()).WaitingForTurn == 3, TestSources.Hang, TestSources.Poll);

        first.SetResult();
        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.Equal(10, report.Succeeded);
        Assert.Equal(Enumerable.Range(0, 10), delivered);
    }

    [Fact]
    public async Task Set_in_HOCON_it_orders_the_failures_of_a_pipeline_without_results()
    {
        using var system = ActorSystem.Create("in-order-hocon", ConfigurationFactory.ParseString(
            "akka.loglevel = OFF\nactor-pipeline.pipelines.\"checks\".results-in-order = on"));
        var failed = new List<int>();
        var pipeline = Pipeline.Create<int>(system, "checks")
            .WithSettings(s => s.WithConsumers(4))
            .WithSource(ct => TestSources.Range(0, 2000, cancellationToken: ct))
            .WithHandler(async (item, _) =>
            {
                // Later items fail sooner than earlier ones.
                if (item % 3 == 0)
                    await Task.Delay(item % 2);
                if (item % 5 == 0)
                    throw new InvalidOperationException($"item {item}");
            })
            .OnFailedItem(f => failed.Add(f.Item))
            .Start();

        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.True(pipeline.Settings.ResultsInOrder);
        Assert.Equal((2000L, 400L), (report.Produced, report.Failed));
        Assert.Equal(Enumerable.Range(0, 2000).Where(i => i % 5 == 0), failed);
    }
}
