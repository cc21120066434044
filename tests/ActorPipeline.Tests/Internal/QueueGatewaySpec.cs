using ActorPipeline.Internal;
using Akka.Actor;
using Akka.Configuration;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.TestKit;
using Xunit.Abstractions;

namespace ActorPipeline.Tests.Internal;

public sealed class QueueGatewaySpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.loglevel = WARNING"), output: output)
{
    private const string Init = "init";
    private const string Ack = "ack";
    private const string Done = "done";

    /// <summary>A gateway over a real queue of <paramref name="bufferChunks"/> chunks whose sink is the returned probe: it takes one chunk per ack.</summary>
    private (IActorRef Gateway, TestProbe Sink, TestProbe Supervisor) Start(int bufferChunks, int chunkSize, int credit)
    {
        var sink = CreateTestProbe();
        var supervisor = CreateTestProbe();
        var (source, feed) = QueueFeed<Chunk<int>>.Queue(bufferChunks);
        var queue = source
            .To(Sink.ActorRefWithAck<Chunk<int>>(sink.Ref, Init, Ack, Done))
            .WithAttributes(Attributes.CreateInputBuffer(1, 1))
            .Run(Sys.Materializer());
        var gateway = Sys.ActorOf(Props.Create(() => new QueueGateway<int>(queue, feed, supervisor.Ref, chunkSize, credit)));
        sink.ExpectMsg(Init);
        sink.Reply(Ack);
        return (gateway, sink, supervisor);
    }

    private async Task<Chunk<int>> TakeAsync(TestProbe sink)
    {
        var chunk = await sink.ExpectMsgAsync<Chunk<int>>();
        sink.Reply(Ack);
        return chunk;
    }

    [Fact]
    public async Task Many_producers_into_a_buffer_of_one_get_every_item_through_in_each_producers_order()
    {
        var (gateway, sink, _) = Start(bufferChunks: 1, chunkSize: 3, credit: 4);
        var producers = Enumerable.Range(0, 6).Select(_ => CreateTestProbe()).ToArray();
        foreach (var producer in producers)
            gateway.Tell(new Attach(producer.Ref));

        // Each producer sends its whole credit at once, twice over, while the queue holds a single chunk.
        var received = new List<int>();
        for (var round = 0; round < 2; round++)
        {
            for (var p = 0; p < producers.Length; p++)
                gateway.Tell(new ProduceBatch<int>(Enumerable.Range(p * 100 + round * 4, 4).ToArray()), producers[p].Ref);
            while (received.Count < (round + 1) * 24)
                received.AddRange((await TakeAsync(sink)).Items);
            foreach (var producer in producers)
                Assert.Equal(4, await AcknowledgedAsync(producer, 4));
        }

        Assert.Equal(48, received.Count);
        for (var p = 0; p < producers.Length; p++)
            Assert.Equal(Enumerable.Range(p * 100, 8), received.Where(n => n / 100 == p));
    }

    /// <summary>Sums the acks a producer receives until they cover <paramref name="items"/>.</summary>
    private static async Task<int> AcknowledgedAsync(TestProbe producer, int items)
    {
        var total = 0;
        while (total < items)
            total += (await producer.ExpectMsgAsync<ProduceAck>()).Count;
        return total;
    }

    [Fact]
    public async Task A_producer_is_acknowledged_only_once_the_stream_has_taken_its_items()
    {
        var (gateway, sink, _) = Start(bufferChunks: 1, chunkSize: 1, credit: 10);
        var producer = CreateTestProbe();
        gateway.Tell(new Attach(producer.Ref));

        // The sink holds what it has taken and acks nothing yet: the queue fills, and the rest waits unacknowledged.
        gateway.Tell(new ProduceBatch<int>(Enumerable.Range(0, 10).ToArray()), producer.Ref);
        var acked = 0;
        await producer.ReceiveWhileAsync<ProduceAck>(msg => { acked += ((ProduceAck)msg).Count; return (ProduceAck)msg; },
            idle: TimeSpan.FromMilliseconds(300)).ToListAsync();
        Assert.InRange(acked, 0, 9);

        var taken = new List<int>();
        while (taken.Count < 10)
            taken.AddRange((await TakeAsync(sink)).Items);
        Assert.Equal(10 - acked, await AcknowledgedAsync(producer, 10 - acked));
        Assert.Equal(Enumerable.Range(0, 10), taken);
    }

    [Fact]
    public async Task Items_that_wait_during_an_offer_travel_together_in_chunks_of_at_most_the_chunk_size()
    {
        var (gateway, sink, _) = Start(bufferChunks: 1, chunkSize: 4, credit: 64);
        var producer = CreateTestProbe();
        gateway.Tell(new Attach(producer.Ref));

        gateway.Tell(new Produce<int>(0), producer.Ref);
        gateway.Tell(new ProduceBatch<int>(Enumerable.Range(1, 10).ToArray()), producer.Ref);

        var chunks = new List<int[]>();
        while (chunks.Sum(c => c.Length) < 11)
            chunks.Add((await TakeAsync(sink)).Items);
        Assert.All(chunks, c => Assert.InRange(c.Length, 1, 4));
        Assert.Equal(Enumerable.Range(0, 11), chunks.SelectMany(c => c));
        Assert.True(chunks.Count < 11, "waiting items were coalesced");
    }

    [Fact]
    public async Task Completion_waits_for_the_pending_offer_then_completes_the_queue_with_the_counts()
    {
        var (gateway, sink, supervisor) = Start(bufferChunks: 1, chunkSize: 2, credit: 8);
        var producer = CreateTestProbe();
        gateway.Tell(new Attach(producer.Ref));
        gateway.Tell(new ProduceBatch<int>([1, 2, 3, 4, 5, 6]), producer.Ref);

        gateway.Tell(new Detach(producer.Ref));
        gateway.Tell(CompleteWhenIdle.Instance);

        var items = new List<int>();
        while (items.Count < 6)
            items.AddRange((await TakeAsync(sink)).Items);
        await sink.ExpectMsgAsync(Done);
        var completed = await supervisor.FishForMessageAsync<GatewayCompleted>(_ => true);
        Assert.Equal(6, completed.Produced[producer.Ref]);
        Assert.Equal([1, 2, 3, 4, 5, 6], items);
    }

    [Fact]
    public async Task When_the_stream_breaks_every_item_not_taken_is_refused_and_the_supervisor_told()
    {
        var sink = CreateTestProbe();
        var supervisor = CreateTestProbe();
        var (source, feed) = QueueFeed<Chunk<int>>.Queue(1);
        var (queue, killSwitch) = source
            .ViaMaterialized(KillSwitches.Single<Chunk<int>>(), Keep.Both)
            .To(Sink.ActorRefWithAck<Chunk<int>>(sink.Ref, Init, Ack, Done))
            .WithAttributes(Attributes.CreateInputBuffer(1, 1))
            .Run(Sys.Materializer());
        var gateway = Sys.ActorOf(Props.Create(() => new QueueGateway<int>(queue, feed, supervisor.Ref, 2, 100)));
        await sink.ExpectMsgAsync(Init);
        sink.Reply(Ack);
        var producer = CreateTestProbe();
        gateway.Tell(new Attach(producer.Ref));

        // The sink takes a chunk and holds it: a few more chunks are buffered or pending, the rest waits.
        gateway.Tell(new ProduceBatch<int>(Enumerable.Range(0, 10).ToArray()), producer.Ref);
        await sink.ExpectMsgAsync<Chunk<int>>();
        killSwitch.Abort(new IOException("stream broken"));
        gateway.Tell(new Produce<int>(10), producer.Ref);

        var failed = await supervisor.FishForMessageAsync<GatewayFailed>(_ => true);
        // The switch cancels the queue from downstream: the queue ends without an error of its own.
        Assert.Equal("The pipeline queue closed before the stream took these items.", failed.Cause.Message);
        var (acked, refused) = (0, 0);
        while (acked + refused < 11)
        {
            switch (await producer.ExpectMsgAsync<IProducerMessage>())
            {
                case ProduceAck ack: acked += ack.Count; break;
                case ProduceRefused no: refused += no.Count; Assert.StartsWith("The pipeline queue failed", no.Reason); break;
            }
        }

        // Exactly the chunks of two that left the queue before it ended were acknowledged.
        Assert.Equal(2 * feed.Pulled, acked);
        await producer.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Items_of_another_type_are_refused_with_the_expected_type()
    {
        var (gateway, _, _) = Start(bufferChunks: 1, chunkSize: 2, credit: 8);
        var producer = CreateTestProbe();
        gateway.Tell(new Attach(producer.Ref));

        gateway.Tell(new ProduceBatch<string>(["a", "b"]), producer.Ref);

        var refused = await producer.ExpectMsgAsync<ProduceRefused>();
        Assert.Equal(2, refused.Count);
        Assert.Contains("Int32", refused.Reason);
    }
}
