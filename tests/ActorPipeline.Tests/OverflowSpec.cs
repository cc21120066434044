using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using Xunit.Abstractions;

namespace ActorPipeline.Tests;

/// <summary>Drop instead of wait: under each overflow mode the right items are dropped, handed to the callback with
/// their reason, and counted, so that <c>Produced == Succeeded + Failed + Dropped</c>.</summary>
/// <remarks>
/// Each run is made certain by a consumer that answers only when the spec says: item 0 reaches it alone and is held
/// there, so the capacity's other places fill with items that wait; then the source floods the pipeline with many more
/// items than it holds, and only once every item has been placed or dropped does the consumer answer.
/// </remarks>
public sealed class OverflowSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.loglevel = ERROR"), output: output)
{
    private readonly ITestOutputHelper _output = output;

    private sealed class Forwarder : ReceiveActor
    {
        public Forwarder(IActorRef target) => ReceiveAny(message => target.Forward(message));
    }

    /// <summary>Item 0, then, once <paramref name="flood"/> opens, the items 1 .. count-1 without a pause.</summary>
    private static async IAsyncEnumerable<int> FirstThenFlood(int count, Task flood, [EnumeratorCancellation] CancellationToken ct = default)
    {
        yield return 0;
        await flood.WaitAsync(ct);
        for (var i = 1; i < count; i++)
            yield return i;
    }

    /// <summary>What the consumer handles and what is dropped, for a run of <paramref name="count"/> items at
    /// <paramref name="capacity"/>, item 0 held at the consumer while the others come.</summary>
    private static (int[] Handled, (int Item, DropReason Reason)[] Dropped) Expected(OverflowMode mode, int capacity, int count)
    {
        var all = Enumerable.Range(0, count);
        int[] handled = mode switch
        {
            OverflowMode.Backpressure => [.. all],
            OverflowMode.DropIncoming => [.. all.Take(capacity)],
            // Each item takes the oldest waiting item's place: what waits at the end is the newest items.
            OverflowMode.DropOldest => [0, .. all.Skip(count - (capacity - 1))],
            // Each item takes the newest waiting item's place: the first items keep theirs, the last item the one passed on.
            OverflowMode.DropNewest => capacity == 1 ? [0] : [.. all.Take(capacity - 1), count - 1],
            _ => throw new ArgumentOutOfRangeException(nameof(mode)),
        };

        // With the only place at the consumer, nothing waits to make room: every other item is dropped as it comes.
        var reason = capacity == 1 ? DropReason.Incoming : mode switch
        {
            OverflowMode.DropOldest => DropReason.Oldest,
            OverflowMode.DropNewest => DropReason.Newest,
            _ => DropReason.Incoming,
        };
        return (handled, [.. all.Except(handled).Select(item => (item, reason))]);
    }

    [Theory]
    [InlineData(OverflowMode.Backpressure, 1)]
    [InlineData(OverflowMode.Backpressure, 64)]
    [InlineData(OverflowMode.DropIncoming, 1)]
    [InlineData(OverflowMode.DropIncoming, 64)]
    [InlineData(OverflowMode.DropOldest, 1)]
    [InlineData(OverflowMode.DropOldest, 64)]
    [InlineData(OverflowMode.DropNewest, 1)]
    [InlineData(OverflowMode.DropNewest, 64)]
    public async Task Under_each_mode_the_right_items_are_dropped_and_every_item_is_counted(OverflowMode mode, int capacity)
    {
        var count = 10 * capacity + 5;
        var (handledExpected, droppedExpected) = Expected(mode, capacity, count);
        var flood = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dropped = new ConcurrentQueue<(int Item, DropReason Reason)>();
        var consumer = CreateTestProbe();
        var pipeline = Pipeline.Create<int>(Sys, $"overflow-{PipelineSettings.OverflowName(mode)}-{capacity}")
            .WithSettings(s => s.WithCapacity(capacity).WithConsumers(1))
            .WithOverflow(mode)
            .WithSource(ct => FirstThenFlood(count, flood.Task, ct))
            .WithConsumerProps(Props.Create(() => new Forwarder(consumer.Ref)))
            .OnDroppedItem((item, reason) => dropped.Enqueue((item, reason)))
            .Start();

        var first = await consumer.ExpectMsgAsync<ConsumeChunk<int>>(TestSources.Hang);
        var firstFrom = consumer.LastSender;
        Assert.Equal([0], first.Items);
        flood.SetResult();

        // Every item has been placed or dropped while the consumer held item 0: the capacity is full, the rest dropped.
        if (mode != OverflowMode.Backpressure)
        {
            await AwaitConditionAsync(() => Task.FromResult(dropped.Count >= droppedExpected.Length), TestSources.Hang, TestSources.Poll);
            var status = await pipeline.GetStatusAsync();
            Assert.Equal((capacity, (long)droppedExpected.Length), (status.InFlight, status.Dropped));
        }

        var handled = new List<int>(first.Items);
        firstFrom.Tell(new ChunkConsumed(first.ChunkId, "probe", first.Items.Count, [], 0, null));
        while (handled.Count < handledExpected.Length)
        {
            var chunk = await consumer.ExpectMsgAsync<ConsumeChunk<int>>(TestSources.Hang);
            handled.AddRange(chunk.Items);
            consumer.Reply(new ChunkConsumed(chunk.ChunkId, "probe", chunk.Items.Count, [], 0, null));
        }

        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);
        Assert.Equal(handledExpected, handled.Order());
        Assert.Equal(droppedExpected, dropped.OrderBy(d => d.Item));
        Assert.Equal(((long)count, (long)handledExpected.Length, 0L, (long)droppedExpected.Length),
            (report.Produced, report.Succeeded, report.Failed, report.Dropped));
        Assert.Equal(count, report.Producers.Single().Produced);
    }

    [Fact]
    public async Task Under_fail_the_first_item_that_finds_the_capacity_used_up_ends_the_pipeline_with_an_exception_naming_it()
    {
        const int capacity = 64;
        var flood = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dropped = new ConcurrentQueue<(int Item, DropReason Reason)>();
        var consumer = CreateTestProbe();
        var pipeline = Pipeline.Create<int>(Sys, "overflow-fail")
            .WithSettings(s => s.WithCapacity(capacity).WithConsumers(1))
            .WithOverflow(OverflowMode.Fail)
            .WithSource(ct => FirstThenFlood(1000, flood.Task, ct))
            .WithConsumerProps(Props.Create(() => new Forwarder(consumer.Ref)))
            .OnDroppedItem((item, reason) => dropped.Enqueue((item, reason)))
            .Start();

        var first = await consumer.ExpectMsgAsync<ConsumeChunk<int>>(TestSources.Hang);
        var firstFrom = consumer.LastSender;
        flood.SetResult();

        // The pipeline aborts: the items waiting fail; the one at the consumer finishes when it answers.
        await AwaitConditionAsync(async () => (await pipeline.GetStatusAsync()).State == PipelineState.Aborting, TestSources.Hang, TestSources.Poll);
        firstFrom.Tell(new ChunkConsumed(first.ChunkId, "probe", 1, [], 0, null));
        var error = await Assert.ThrowsAsync<PipelineFaultedException>(() => pipeline.Completion.WaitAsync(TestSources.Hang));

        var overflow = Assert.IsType<PipelineOverflowException>(error.InnerException);
        Assert.Equal(capacity, overflow.Capacity);
        Assert.Contains("all 64 items of its capacity were in flight", overflow.Message);
        var report = error.Report;
        Assert.Equal(PipelineOutcome.Faulted, report.Outcome);
        Assert.Equal((1L, capacity - 1L), (report.Succeeded, report.Failed));
        Assert.Equal(report.Produced, report.Succeeded + report.Failed + report.Dropped);
        Assert.Equal(report.Dropped, dropped.Count);
        Assert.Equal(capacity, dropped.Min(d => d.Item));
        Assert.All(dropped, d => Assert.Equal(DropReason.Incoming, d.Reason));
    }

    [Theory]
    [InlineData(OverflowMode.DropIncoming)]
    [InlineData(OverflowMode.DropOldest)]
    [InlineData(OverflowMode.DropNewest)]
    public async Task A_producer_actor_gets_no_credit_limit_and_every_item_it_sends_is_handled_or_dropped(OverflowMode mode)
    {
        var producer = CreateTestProbe();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dropped = 0;
        var pipeline = Pipeline.Create<int>(Sys, $"overflow-actor-{PipelineSettings.OverflowName(mode)}")
            .WithSettings(s => s.WithCapacity(8).WithConsumers(2))
            .WithOverflow(mode)
            .WithHandler(async (_, ct) => await gate.Task.WaitAsync(ct))
            .WithProducer(producer.Ref)
            .OnDroppedItem((_, _) => Interlocked.Increment(ref dropped))
            .Start();

        var registered = await producer.ExpectMsgAsync<ProducerRegistered>();
        Assert.Equal(int.MaxValue, registered.Credit);
        for (var i = 0; i < 10; i++)
            registered.Gateway.Tell(new ProduceBatch<int>([.. Enumerable.Range(100 * i, 100)]), producer.Ref);

        // The handlers hold their items until every item has been placed or dropped: 8 places, 992 dropped.
        await AwaitConditionAsync(() => Task.FromResult(Volatile.Read(ref dropped) == 992), TestSources.Hang, TestSources.Poll);
        await producer.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
        gate.SetResult();
        Sys.Stop(producer.Ref);
        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.Equal((1000L, 8L, 0L, 992L), (report.Produced, report.Succeeded, report.Failed, report.Dropped));
        Assert.Equal(1000L, report.Producers.Single().Produced);
    }

    [Fact]
    public async Task Random_schedules_with_retries_order_keys_and_killed_routees_handle_or_drop_every_item_once()
    {
        await SeededCases.RunAsync("ACTOR_PIPELINE_DROP", 40, RunCaseAsync);
    }

    private async Task RunCaseAsync(int seed)
    {
        var random = new Random(seed);
        var schedule = new RandomSchedule(random);
        var mode = new[] { OverflowMode.DropIncoming, OverflowMode.DropOldest, OverflowMode.DropNewest }[random.Next(3)];
        var inOrder = random.Next(2) == 0;
        var keys = random.Next(3) == 0 ? new[] { 1, 3, 50 }[random.Next(3)] : 0;
        var killAt = random.Next(schedule.Total + 1);
        var emittedCount = 0;

        // Results and failures come on the pipeline's actor, one at a time; dropped items wherever they are dropped.
        var said = new List<(int Item, bool Failed)>();
        var dropped = new ConcurrentQueue<int>();
        var faults = new FaultQueue();
        var builder = Pipeline.Create<int>(Sys, $"drops-{seed}")
            .WithSettings(settings => schedule.Apply(settings).WithResultsInOrder(inOrder))
            .WithOverflow(mode)
            .WithHandler((item, _) => schedule.HandleAsync(item), item => said.Add((item, false)))
            .OnFailedItem(failure => said.Add((failure.Item, true)))
            .OnDroppedItem((item, _) => dropped.Enqueue(item));
        if (keys > 0)
            builder.WithOrderingKey(item => item % 1000 % keys);
        var pipeline = schedule.AddSources(builder, Emitted).Start();
        var maxInFlight = mode == OverflowMode.DropIncoming ? pipeline.Capacity : 2 * pipeline.Capacity;
        var report = await faults.RunUntilDoneAsync(Sys, pipeline, maxInFlight);
        _output.WriteLine($"seed {seed}: {mode}, capacity {pipeline.Capacity}, keys {keys}, in order {inOrder}: {report.Dropped} of {report.Produced} dropped");

        Assert.Equal(schedule.Total, report.Produced);
        Assert.Equal(report.Produced, report.Succeeded + report.Failed + report.Dropped);
        Assert.Equal((report.Failed, report.Dropped), (said.Count(s => s.Failed), dropped.Count));
        var all = Enumerable.Range(0, schedule.Counts.Length).SelectMany(p => Enumerable.Range(p * 1000, schedule.Counts[p]));
        Assert.Equal(all, said.Select(s => s.Item).Concat(dropped).Order());
        if (inOrder)
        {
            for (var p = 0; p < schedule.Counts.Length; p++)
            {
                var seen = said.Where(s => s.Item / 1000 == p).Select(s => s.Item).ToArray();
                Assert.Equal(seen.Order(), seen);
            }
        }

        void Emitted(int item)
        {
            if (Interlocked.Increment(ref emittedCount) - 1 == killAt)
                faults.Enqueue(() => faults.Routees.ElementAtOrDefault(seed % Math.Max(1, faults.Routees.Length))?.Send(Kill.Instance, ActorRefs.NoSender));
        }
    }

    [Theory]
    [InlineData(OverflowMode.DropOldest)]
    [InlineData(OverflowMode.DropNewest)]
    public async Task With_a_batch_handler_every_item_is_in_one_batch_or_dropped(OverflowMode mode)
    {
        // Batches wait to fill while items come; items dropped to make room leave the batch that waits for them.
        var batched = new ConcurrentQueue<int>();
        var dropped = new ConcurrentQueue<int>();
        var pipeline = Pipeline.Create<int>(Sys, $"overflow-batches-{PipelineSettings.OverflowName(mode)}")
            .WithSettings(s => s.WithCapacity(64).WithConsumers(2))
            .WithOverflow(mode)
            .WithSource(ct => TestSources.Range(0, 5_000, cancellationToken: ct))
            .WithBatchHandler(async (batch, ct) =>
            {
                await Task.Delay(1, ct);
                foreach (var item in batch)
                    batched.Enqueue(item);
            }, maxItems: 16, maxWait: TimeSpan.FromMilliseconds(5))
            .OnDroppedItem((item, _) => dropped.Enqueue(item))
            .Start();

        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.Equal((5_000L, 0L), (report.Produced, report.Failed));
        Assert.Equal((report.Succeeded, report.Dropped), ((long)batched.Count, (long)dropped.Count));
        Assert.Equal(Enumerable.Range(0, 5_000), batched.Concat(dropped).Order());
    }

    [Fact]
    public async Task Under_backpressure_producers_wait_the_status_counts_them_and_nothing_is_dropped()
    {
        var dropped = 0;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pipeline = Pipeline.Create<int>(Sys, "overflow-none")
            .WithSettings(s => s.WithCapacity(4).WithConsumers(2).WithKeepAlive(true))
            .WithSource(ct => TestSources.Range(0, 200, cancellationToken: ct))
            .WithHandler(async (_, ct) => await gate.Task.WaitAsync(ct))
            .OnDroppedItem((_, _) => Interlocked.Increment(ref dropped))
            .Start();

        // The source waits for room; so does a producer actor that registers while there is none, until it stops.
        await AwaitConditionAsync(async () => (await pipeline.GetStatusAsync()).ProducersWaiting == 1, TestSources.Hang, TestSources.Poll);
        var producer = CreateTestProbe();
        pipeline.Actor.Tell(RegisterProducer.Instance, producer.Ref);
        Assert.Equal(0, (await producer.ExpectMsgAsync<ProducerRegistered>()).Credit);
        await AwaitConditionAsync(async () => (await pipeline.GetStatusAsync()).ProducersWaiting == 2, TestSources.Hang, TestSources.Poll);
        Sys.Stop(producer.Ref);
        await AwaitConditionAsync(async () => (await pipeline.GetStatusAsync()).ProducersWaiting == 1, TestSources.Hang, TestSources.Poll);
        gate.SetResult();
        await AwaitConditionAsync(async () => (await pipeline.GetStatusAsync()).ProducersAlive == 0, TestSources.Hang, TestSources.Poll);
        Assert.Equal(0, (await pipeline.GetStatusAsync()).ProducersWaiting);
        var report = await pipeline.DrainAsync();

        Assert.Equal((200L, 200L, 0L), (report.Produced, report.Succeeded, report.Dropped));
        Assert.Equal(0, dropped);
    }
}
