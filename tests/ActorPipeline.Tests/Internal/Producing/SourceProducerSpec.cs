using ActorPipeline.Internal;
using Akka.Actor;
using Akka.Configuration;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.TestKit;
using Xunit.Abstractions;

namespace ActorPipeline.Tests.Internal;

public sealed class SourceProducerSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.loglevel = ERROR"), output: output)
{
    /// <summary>A producer over a real queue whose sink is the returned probe (one chunk per ack), with <paramref name="capacity"/> credit.</summary>
    private (IActorRef Producer, TestProbe Sink, CreditPool Credit, ProducerTally Tally) Start(
        Func<CancellationToken, IAsyncEnumerable<int>> source, int capacity, int chunkSize = 64)
    {
        var sink = CreateTestProbe();
        var (queueSource, feed) = QueueFeed<Chunk<int>>.Queue(4);
        queueSource
            .To(Sink.ActorRefWithAck<Chunk<int>>(sink.Ref, "init", "ack", "done"))
            .WithAttributes(Attributes.CreateInputBuffer(1, 1))
            .Run(Sys.Materializer());
        sink.ExpectMsg("init");
        sink.Reply("ack");
        var credit = new CreditPool(capacity);
        var tally = new ProducerTally();
        var link = new ProducerLink<int>(feed, credit, new PipelineCounters("spec"), chunkSize, chunkSize);
        var producer = Sys.ActorOf(Props.Create(() => new SourceProducer<int>(source, link, tally)));
        return (producer, sink, credit, tally);
    }

    private static async Task<int[]> TakeAsync(TestProbe sink)
    {
        var chunk = await sink.ExpectMsgAsync<Chunk<int>>();
        sink.Reply("ack");
        return chunk.Items;
    }

    [Fact]
    public async Task It_pulls_only_as_many_items_as_there_is_credit_and_goes_on_as_credit_returns()
    {
        var pulled = 0;
        var (_, sink, credit, _) = Start(ct => TestSources.Range(0, 100, _ => Interlocked.Increment(ref pulled), ct), capacity: 5);

        Assert.Equal(Enumerable.Range(0, 5), await TakeAsync(sink));
        await sink.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        Assert.Equal(5, Volatile.Read(ref pulled));

        // Three items finish somewhere downstream: their credit comes back and the producer pulls three more.
        credit.Return(3);
        Assert.Equal(Enumerable.Range(5, 3), await TakeAsync(sink));
        Assert.Equal(8, Volatile.Read(ref pulled));
    }

    [Fact]
    public async Task Items_come_in_chunks_of_at_most_the_chunk_size()
    {
        var (_, sink, _, tally) = Start(ct => TestSources.Range(0, 10, cancellationToken: ct), capacity: 100, chunkSize: 4);

        Assert.Equal(4, (await TakeAsync(sink)).Length);
        Assert.Equal(4, (await TakeAsync(sink)).Length);
        Assert.Equal(2, (await TakeAsync(sink)).Length);
        Assert.Equal(10, tally.Produced);
    }

    [Fact]
    public async Task An_item_that_arrives_alone_is_sent_at_once_without_waiting_for_company()
    {
        var gates = Enumerable.Range(0, 3).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var (_, sink, _, _) = Start(ct => Gated(gates, ct), capacity: 100);

        for (var i = 0; i < 3; i++)
        {
            gates[i].SetResult();
            Assert.Equal(new[] { i }, await TakeAsync(sink));
        }
    }

    [Fact]
    public async Task While_its_source_waits_it_holds_no_credit_and_an_item_sent_holds_its_own()
    {
        var gates = Enumerable.Range(0, 2).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (_, sink, credit, _) = Start(ct => Gated(gates, ct, asked), capacity: 8);

        // Waiting for its first item, the producer holds nothing: all eight are free for other producers.
        await asked.Task;
        await AwaitConditionAsync(() => Task.FromResult(credit.Available == 8), TestSources.Hang);
        gates[0].SetResult();
        Assert.Equal(new[] { 0 }, await TakeAsync(sink));

        // The item sent holds its credit until it finishes; the producer, waiting for the next, holds none: seven are free.
        await AwaitConditionAsync(() => Task.FromResult(credit.Available == 7), TestSources.Hang);
        gates[1].SetResult();
        Assert.Equal(new[] { 1 }, await TakeAsync(sink));
    }

    [Fact]
    public async Task An_item_that_comes_while_no_credit_is_free_waits_in_the_producer_and_goes_once_credit_returns()
    {
        var gates = Enumerable.Range(0, 1).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (_, sink, credit, tally) = Start(ct => Gated(gates, ct, asked), capacity: 1);

        // Credit is free before the producer starts and again once its source waits: only the second counts here.
        await asked.Task;
        await AwaitConditionAsync(() => Task.FromResult(credit.Available == 1), TestSources.Hang);

        // Someone else takes the only credit; then the source's item comes.
        Assert.Equal(1, credit.TakeOrWait(1, TestActor));
        gates[0].SetResult();
        credit.Return(1);

        // The item went with the credit given back, and holds it: an item sent without credit would have left it free.
        Assert.Equal(new[] { 0 }, await TakeAsync(sink));
        Assert.Equal((1L, 0), (tally.Produced, credit.Available));
    }

    /// <summary>Yields one item per opened gate; <paramref name="asked"/> is set once the producer has asked for the first.</summary>
    private static async IAsyncEnumerable<int> Gated(
        TaskCompletionSource[] gates,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct,
        TaskCompletionSource? asked = null)
    {
        for (var i = 0; i < gates.Length; i++)
        {
            asked?.TrySetResult();
            await gates[i].Task.WaitAsync(ct);
            yield return i;
        }
    }

    [Fact]
    public async Task It_stops_when_its_source_ends_and_gives_back_the_credit_it_did_not_use()
    {
        var (producer, sink, credit, tally) = Start(ct => TestSources.Range(0, 3, cancellationToken: ct), capacity: 10);
        Watch(producer);

        Assert.Equal(new[] { 0, 1, 2 }, await TakeAsync(sink));
        await ExpectTerminatedAsync(producer);

        // The three items it sent hold their credit until they finish; the rest is back.
        Assert.Equal(7, credit.Available);
        Assert.Equal(3, tally.Produced);
    }

    [Fact]
    public async Task A_throwing_source_sends_what_it_yielded_records_why_and_stops()
    {
        var (producer, sink, _, tally) = Start(_ => TestSources.ThrowAfter(0, 2, new IOException("gone")), capacity: 10);
        Watch(producer);

        Assert.Equal(new[] { 0, 1 }, await TakeAsync(sink));
        await ExpectTerminatedAsync(producer);
        Assert.Equal("gone", tally.Failure?.Message);
        Assert.Equal(2, tally.Produced);
    }

    [Fact]
    public async Task Stopping_early_cancels_and_disposes_the_source()
    {
        var disposed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (producer, sink, credit, tally) = Start(ct => Endless(disposed, ct), capacity: 2);
        Watch(producer);

        await TakeAsync(sink);
        producer.Tell(new StopProducing("test"));

        await disposed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await ExpectTerminatedAsync(producer);
        // Credit it held for an item it had not pulled yet is back; what it sent holds credit until it finishes.
        Assert.Equal(2 - tally.Produced, credit.Available);
    }

    private static async IAsyncEnumerable<int> Endless(
        TaskCompletionSource disposed, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        try
        {
            for (var i = 0; ; i++)
            {
                await Task.Yield();
                yield return i;
            }
        }
        finally
        {
            disposed.TrySetResult();
        }
    }
}
