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

    private sealed record Rig(IActorRef Gateway, TestProbe Sink, TestProbe Supervisor, CreditPool Credit, PipelineCounters Counters, UniqueKillSwitch KillSwitch);

    /// <summary>A gateway over a real queue of <paramref name="bufferChunks"/> chunks whose sink is a probe that takes one
    /// chunk per ack; nothing finishes items, so credit comes back only when the spec returns it.</summary>
    private Rig Start(int bufferChunks, int chunkSize, int credit, int capacity)
    {
        var sink = CreateTestProbe();
        var supervisor = CreateTestProbe();
        var (source, feed) = QueueFeed<Chunk<int>>.Queue(bufferChunks);
        var (queue, killSwitch) = source
            .ViaMaterialized(KillSwitches.Single<Chunk<int>>(), Keep.Both)
            .To(Sink.ActorRefWithAck<Chunk<int>>(sink.Ref, Init, Ack, Done))
            .WithAttributes(Attributes.CreateInputBuffer(1, 1))
            .Run(Sys.Materializer());
        var pool = new CreditPool(capacity);
        var counters = new PipelineCounters("spec");
        var link = new ProducerLink<int>(feed, pool, counters, chunkSize, credit);
        var gateway = Sys.ActorOf(Props.Create(() => new QueueGateway<int>(queue, link, supervisor.Ref, "spec")));
        sink.ExpectMsg(Init);
        sink.Reply(Ack);
        return new Rig(gateway, sink, supervisor, pool, counters, killSwitch);
    }

    private static async Task<int[]> TakeAsync(TestProbe sink)
    {
        var chunk = await sink.ExpectMsgAsync<Chunk<int>>();
        sink.Reply(Ack);
        return chunk.Items;
    }

    private async Task<int> AttachAsync(Rig rig, TestProbe producer)
    {
        rig.Gateway.Tell(new Attach(producer.Ref, producer.Ref.Path.Name));
        return (await producer.ExpectMsgAsync<ProducerRegistered>()).Credit;
    }

    /// <summary>Sums the grants a producer receives until they cover <paramref name="items"/>.</summary>
    private static async Task<int> GrantedAsync(TestProbe producer, int items)
    {
        var total = 0;
        while (total < items)
            total += (await producer.ExpectMsgAsync<ProduceAck>()).Count;
        return total;
    }

    [Fact]
    public async Task Many_producers_into_a_buffer_of_one_get_every_item_through_in_each_producers_order()
    {
        var rig = Start(bufferChunks: 1, chunkSize: 3, credit: 4, capacity: 24);
        var producers = Enumerable.Range(0, 6).Select(_ => CreateTestProbe()).ToArray();
        foreach (var producer in producers)
            Assert.Equal(4, await AttachAsync(rig, producer));

        // Each producer sends its whole credit at once, twice over, while the queue holds a single chunk.
        var received = new List<int>();
        for (var round = 0; round < 2; round++)
        {
            for (var p = 0; p < producers.Length; p++)
                rig.Gateway.Tell(new ProduceBatch<int>(Enumerable.Range(p * 100 + round * 4, 4).ToArray()), producers[p].Ref);
            while (received.Count < (round + 1) * 24)
                received.AddRange(await TakeAsync(rig.Sink));

            // The stream would now finish them; their credit goes back to the producers, which ran out.
            rig.Credit.Return(24);
            foreach (var producer in producers)
                Assert.Equal(4, await GrantedAsync(producer, 4));
        }

        Assert.Equal(48, received.Count);
        for (var p = 0; p < producers.Length; p++)
            Assert.Equal(Enumerable.Range(p * 100, 8), received.Where(n => n / 100 == p));
        Assert.Equal(48, rig.Counters.Read().Produced);
    }

    [Fact]
    public async Task Credit_comes_back_when_items_finish_not_when_the_queue_takes_them()
    {
        var rig = Start(bufferChunks: 1, chunkSize: 1, credit: 10, capacity: 10);
        var producer = CreateTestProbe();
        Assert.Equal(10, await AttachAsync(rig, producer));

        rig.Gateway.Tell(new ProduceBatch<int>(Enumerable.Range(0, 10).ToArray()), producer.Ref);
        var taken = new List<int>();
        while (taken.Count < 10)
            taken.AddRange(await TakeAsync(rig.Sink));
        await producer.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));

        rig.Credit.Return(4);
        Assert.Equal(4, await GrantedAsync(producer, 4));
        Assert.Equal(Enumerable.Range(0, 10), taken);
    }

    [Fact]
    public async Task A_producer_that_registers_while_the_capacity_is_used_up_gets_credit_in_turn_as_items_finish()
    {
        var rig = Start(bufferChunks: 4, chunkSize: 4, credit: 4, capacity: 4);
        var first = CreateTestProbe();
        var late = CreateTestProbe();
        Assert.Equal(4, await AttachAsync(rig, first));
        rig.Gateway.Tell(new ProduceBatch<int>([0, 1, 2, 3]), first.Ref);
        Assert.Equal(new[] { 0, 1, 2, 3 }, await TakeAsync(rig.Sink));

        // Every item of the capacity is in flight: the late producer is registered with no credit, and waits.
        Assert.Equal(0, await AttachAsync(rig, late));
        await late.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));

        // The first producer ran out before the late one came, so it is served first; the late one with the next items.
        rig.Credit.Return(2);
        Assert.Equal(2, (await first.ExpectMsgAsync<ProduceAck>()).Count);
        rig.Credit.Return(2);
        Assert.Equal(2, (await late.ExpectMsgAsync<ProduceAck>()).Count);
        Assert.Equal(0, rig.Credit.Available);
    }

    [Fact]
    public async Task Items_that_wait_during_an_offer_travel_together_in_chunks_of_at_most_the_chunk_size()
    {
        var rig = Start(bufferChunks: 1, chunkSize: 4, credit: 64, capacity: 64);
        var producer = CreateTestProbe();
        await AttachAsync(rig, producer);

        rig.Gateway.Tell(new Produce<int>(0), producer.Ref);
        rig.Gateway.Tell(new ProduceBatch<int>(Enumerable.Range(1, 10).ToArray()), producer.Ref);

        var chunks = new List<int[]>();
        while (chunks.Sum(c => c.Length) < 11)
            chunks.Add(await TakeAsync(rig.Sink));
        Assert.All(chunks, c => Assert.InRange(c.Length, 1, 4));
        Assert.Equal(Enumerable.Range(0, 11), chunks.SelectMany(c => c));
        Assert.True(chunks.Count < 11, "waiting items were coalesced");
    }

    [Fact]
    public async Task Completion_hands_over_what_waits_then_completes_the_queue_with_the_counts()
    {
        var rig = Start(bufferChunks: 1, chunkSize: 2, credit: 8, capacity: 8);
        var producer = CreateTestProbe();
        await AttachAsync(rig, producer);
        rig.Gateway.Tell(new ProduceBatch<int>([1, 2, 3, 4, 5, 6]), producer.Ref);

        rig.Gateway.Tell(new Detach(producer.Ref, "stopped"));
        rig.Gateway.Tell(CompleteWhenIdle.Instance);

        var items = new List<int>();
        while (items.Count < 6)
            items.AddRange(await TakeAsync(rig.Sink));
        await rig.Sink.ExpectMsgAsync(Done);
        Assert.Equal(6, (await rig.Supervisor.FishForMessageAsync<ProducerDetached>(_ => true)).Produced);
        var completed = await rig.Supervisor.FishForMessageAsync<GatewayCompleted>(_ => true);
        Assert.Equal(6, completed.Produced[producer.Ref]);
        Assert.Equal([1, 2, 3, 4, 5, 6], items);
        // The credit it did not use went back when it was let go.
        Assert.Equal(2, rig.Credit.Available);
    }

    [Fact]
    public async Task When_the_stream_breaks_the_items_still_waiting_are_refused_and_the_supervisor_told()
    {
        var rig = Start(bufferChunks: 1, chunkSize: 2, credit: 100, capacity: 100);
        var producer = CreateTestProbe();
        await AttachAsync(rig, producer);

        // The sink takes a chunk and holds it: chunks fill the queue and those handed ahead, the rest waits here.
        rig.Gateway.Tell(new ProduceBatch<int>(Enumerable.Range(0, 100).ToArray()), producer.Ref);
        await rig.Sink.ExpectMsgAsync<Chunk<int>>();
        rig.KillSwitch.Abort(new IOException("stream broken"));

        var failed = await rig.Supervisor.FishForMessageAsync<GatewayFailed>(_ => true);
        // The switch cancels the queue from downstream: the queue ends without an error of its own.
        Assert.Equal("The pipeline queue closed before the stream took these items.", failed.Cause.Message);
        var refused = await producer.ExpectMsgAsync<ProduceRefused>();
        Assert.InRange(refused.Count, 1, 99);
        Assert.StartsWith("Pipeline 'spec' cannot take items any more: its queue failed", refused.Reason);
        Assert.Equal(100 - refused.Count, rig.Counters.Read().Produced);

        // What comes later is refused for the same reason.
        rig.Gateway.Tell(new Produce<int>(100), producer.Ref);
        Assert.Equal(refused.Reason, (await producer.ExpectMsgAsync<ProduceRefused>()).Reason);
    }

    [Fact]
    public async Task Every_refusal_says_why_the_items_were_not_taken()
    {
        var rig = Start(bufferChunks: 1, chunkSize: 2, credit: 2, capacity: 8);
        var stranger = CreateTestProbe();
        var producer = CreateTestProbe();
        await AttachAsync(rig, producer);

        rig.Gateway.Tell(new Produce<int>(1), stranger.Ref);
        Assert.Contains("not a registered producer of pipeline 'spec'", (await stranger.ExpectMsgAsync<ProduceRefused>()).Reason);

        rig.Gateway.Tell(new ProduceBatch<int>([1, 2, 3]), producer.Ref);
        var beyond = await producer.ExpectMsgAsync<ProduceRefused>();
        Assert.Equal(1, beyond.Count);
        Assert.Contains("exceeded its credit", beyond.Reason);
        Assert.Equal(2, (await producer.ExpectMsgAsync<ProduceAck>()).Count);

        rig.Gateway.Tell(new Detach(producer.Ref, "Pipeline 'spec' let this producer go when it began draining."));
        rig.Gateway.Tell(new Produce<int>(4), producer.Ref);
        Assert.Contains("let this producer go when it began draining", (await producer.ExpectMsgAsync<ProduceRefused>()).Reason);

        rig.Gateway.Tell(CompleteWhenIdle.Instance);
        await rig.Supervisor.FishForMessageAsync<GatewayCompleted>(_ => true);
        rig.Gateway.Tell(new Produce<int>(5), stranger.Ref);
        Assert.Contains("every producer has stopped and its queue is complete", (await stranger.ExpectMsgAsync<ProduceRefused>()).Reason);
    }

    [Fact]
    public async Task Items_of_another_type_are_refused_with_the_expected_type()
    {
        var rig = Start(bufferChunks: 1, chunkSize: 2, credit: 8, capacity: 8);
        var producer = CreateTestProbe();
        await AttachAsync(rig, producer);

        rig.Gateway.Tell(new ProduceBatch<string>(["a", "b"]), producer.Ref);

        var refused = await producer.ExpectMsgAsync<ProduceRefused>();
        Assert.Equal(2, refused.Count);
        Assert.Contains("Int32", refused.Reason);
    }
}
