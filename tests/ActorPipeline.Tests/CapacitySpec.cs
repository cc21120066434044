using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using Xunit.Abstractions;

namespace ActorPipeline.Tests;

/// <summary>The capacity is one number that bounds every item in the pipeline, whatever producers and consumers do.</summary>
public sealed class CapacitySpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.loglevel = ERROR"), output: output)
{
    /// <summary>Items yielded by sources or sent by producer actors, and items whose handler finished, with the most
    /// ever seen between the two.</summary>
    /// <remarks>
    /// An item counts as finished the first time a handler finishes it. A routee killed just after its handler finished
    /// an item, before it heard so, gives the item back unfinished, and it runs again: handling is at least once, while
    /// the item holds its place in the capacity until the pipeline knows its outcome.
    /// </remarks>
    private sealed class InFlight
    {
        private readonly ConcurrentDictionary<int, bool> _done = new();
        private long _emitted;
        private long _finished;
        private long _peak;

        public long Emitted => Interlocked.Read(ref _emitted);

        public long Finished => Interlocked.Read(ref _finished);

        public long Peak => Interlocked.Read(ref _peak);

        public void Emit(int items = 1)
        {
            var now = Interlocked.Add(ref _emitted, items) - Interlocked.Read(ref _finished);
            long seen;
            while (now > (seen = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, seen) != seen)
            {
            }
        }

        public void Finish(int item)
        {
            if (_done.TryAdd(item, true))
                Interlocked.Increment(ref _finished);
        }
    }

    [Theory]
    [InlineData(4, 4)]
    [InlineData(8, 4)]
    [InlineData(5, 2)]
    public async Task At_a_small_capacity_every_consumer_it_allows_works_at_once(int capacity, int consumers)
    {
        // Slow items: each waits until as many handlers run at once as the capacity and the consumers allow. Were the
        // whole capacity handed to one routee as one chunk, only one would ever run.
        var running = 0;
        var most = Math.Min(capacity, consumers);
        var together = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pipeline = Pipeline.Create<int>(Sys, $"all-busy-{capacity}-{consumers}")
            .WithSettings(s => s.WithCapacity(capacity).WithConsumers(consumers))
            .WithSource(ct => TestSources.Range(0, 4 * capacity, cancellationToken: ct))
            .WithHandler(async (_, ct) =>
            {
                if (Interlocked.Increment(ref running) == most)
                    together.TrySetResult();
                await together.Task.WaitAsync(ct);
                Interlocked.Decrement(ref running);
            })
            .Start();

        await together.Task.WaitAsync(TestSources.Hang);
        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.Equal((4L * capacity, 0L), (report.Succeeded, report.Failed));
        Assert.Equal(most, report.ProcessedByConsumer.Count);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 3)]
    [InlineData(1, 16)]
    [InlineData(5, 1)]
    [InlineData(5, 3)]
    [InlineData(5, 16)]
    [InlineData(64, 1)]
    [InlineData(64, 3)]
    [InlineData(64, 16)]
    [InlineData(1000, 1)]
    [InlineData(1000, 3)]
    [InlineData(1000, 16)]
    public async Task Items_yielded_and_not_yet_finished_never_exceed_the_capacity(int capacity, int producers)
    {
        var counts = new InFlight();
        var gate = new SemaphoreSlim(0, int.MaxValue);
        var holding = 0;
        var interrupted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var perProducer = 2 * capacity / producers + 2;
        var builder = Pipeline.Create<int>(Sys, $"capacity-{capacity}-{producers}")
            .WithSettings(s => s.WithCapacity(capacity).WithConsumers(3).WithMaxRetries(1))
            .WithHandler(async (item, ct) =>
            {
                Interlocked.Increment(ref holding);
                try
                {
                    await gate.WaitAsync(ct);
                }
                catch (OperationCanceledException)
                {
                    interrupted.TrySetResult();
                    throw;
                }

                counts.Finish(item);
            });
        for (var p = 0; p < producers; p++)
        {
            var start = p * 100_000;
            builder.WithSource(ct => TestSources.Range(start, perProducer, _ => counts.Emit(), ct));
        }

        var pipeline = builder.Start();
        Assert.Equal(capacity, pipeline.Capacity);
        var samples = StatusSamples.TakeAsync(pipeline);

        // Consumers held: the pipeline fills to its capacity and not one item more.
        await AwaitConditionAsync(() => Task.FromResult(counts.Emitted == capacity), TestSources.Hang, TestSources.Poll);
        await AwaitAssertAsync(async () => Assert.Equal(capacity, (await pipeline.GetStatusAsync()).InFlight));

        // Every routee killed while they hold items: the items are tried again, and still count.
        await AwaitConditionAsync(() => Task.FromResult(Volatile.Read(ref holding) > 0), TestSources.Hang, TestSources.Poll);
        Sys.ActorSelection($"/user/{pipeline.Name}/consumers").Tell(new Akka.Routing.Broadcast(Kill.Instance));
        await interrupted.Task.WaitAsync(TestSources.Hang);

        // A producer actor that registers now finds the capacity used up: it gets credit only as items finish.
        var late = CreateTestProbe();
        pipeline.Actor.Tell(RegisterProducer.Instance, late.Ref);
        var registered = await late.ExpectMsgAsync<ProducerRegistered>();
        Assert.Equal(0, registered.Credit);

        gate.Release(int.MaxValue / 2);
        var granted = (await late.ExpectMsgAsync<ProduceAck>(TestSources.Hang)).Count;
        Assert.InRange(granted, 1, capacity);
        counts.Emit(granted);
        registered.Gateway.Tell(new ProduceBatch<int>(Enumerable.Range(-granted, granted).ToArray()), late.Ref);
        Sys.Stop(late.Ref);

        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);
        var statuses = await samples;

        Assert.InRange(counts.Peak, 1, capacity);
        Assert.Equal(producers * perProducer + granted, report.Produced);
        Assert.Equal(report.Produced, report.Succeeded);
        Assert.Equal(report.Produced, counts.Finished);
        Assert.NotEmpty(statuses);
        StatusSamples.AssertEachHolds(statuses, capacity);
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 5)]
    public async Task Sources_that_wait_for_one_another_never_hold_the_capacity_between_them(int capacity, int sources)
    {
        // Source k yields its item only once source k + 1's item was handled; the last one yields at once, once every
        // other source has begun waiting. Waiting sources that held credit would leave none for the last one.
        var waiting = new CountdownEvent(sources - 1);
        var handled = Enumerable.Range(0, sources).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        async IAsyncEnumerable<int> Source(int k, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            if (k < sources - 1)
            {
                waiting.Signal();
                await handled[k + 1].Task.WaitAsync(ct);
            }
            else
            {
                await Task.Run(() => waiting.Wait(ct), ct);
            }

            yield return k;
        }

        var builder = Pipeline.Create<int>(Sys, $"waiting-sources-{capacity}-{sources}")
            .WithSettings(s => s.WithCapacity(capacity))
            .WithHandler(k => handled[k].SetResult());
        for (var k = 0; k < sources; k++)
        {
            var source = k;
            builder.WithSource(ct => Source(source, ct));
        }

        var report = await builder.Start().Completion.WaitAsync(TestSources.Hang);

        Assert.Equal((sources, sources), (report.Produced, report.Succeeded));
    }

    [Fact]
    public async Task A_capacity_of_one_moves_one_item_at_a_time_end_to_end()
    {
        var counts = new InFlight();
        var order = new ConcurrentQueue<int>();
        var pipeline = Pipeline.Create<int>(Sys, "one-at-a-time")
            .WithSettings(s => s.WithCapacity(1).WithConsumers(4))
            .WithSource(ct => TestSources.Range(0, 200, _ => counts.Emit(), ct))
            .WithSource(ct => TestSources.Range(1000, 200, _ => counts.Emit(), ct))
            .WithHandler(async (item, ct) =>
            {
                await Task.Yield();
                order.Enqueue(item);
                counts.Finish(item);
            })
            .Start();

        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.Equal(1, counts.Peak);
        Assert.Equal(400, report.Succeeded);
        Assert.Equal(Enumerable.Range(0, 200), order.Where(i => i < 1000));
    }

    [Fact]
    public async Task A_size_that_does_not_fit_the_capacity_stops_the_start_naming_both()
    {
        var builder = Pipeline.Create<int>(Sys, "misfit")
            .WithSettings(s => s.WithCapacity(8).WithChunkSize(16))
            .WithHandler(_ => { });

        var error = Assert.Throws<ConfigurationException>(() => builder.Start());

        Assert.StartsWith("actor-pipeline.chunk-size = 16 does not fit actor-pipeline.capacity = 8", error.Message);
    }
}
