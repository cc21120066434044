using ActorPipeline.Internal;
using Akka.Configuration;
using Akka.Streams;
using Akka.Streams.Dsl;
using Xunit.Abstractions;

namespace ActorPipeline.Tests.Internal;

public sealed class QueueFeedSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.loglevel = WARNING"), output: output)
{
    /// <summary>Runs <paramref name="source"/> into a probe that takes one element per "ack" (none before the first).</summary>
    private async Task<Akka.TestKit.TestProbe> SlowSinkAsync(Source<int, ISourceQueueWithComplete<int>> source)
    {
        var sink = CreateTestProbe();
        source
            .To(Sink.ActorRefWithAck<int>(sink.Ref, "init", "ack", "done"))
            .WithAttributes(Attributes.CreateInputBuffer(1, 1))
            .Run(Sys.Materializer());
        await sink.ExpectMsgAsync("init");
        return sink;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Chunks_handed_over_all_at_once_reach_a_slow_stream_in_order_with_none_refused(int bufferChunks)
    {
        const int count = 60;
        var (source, feed) = QueueFeed<int>.Queue(bufferChunks);
        var sink = await SlowSinkAsync(source);
        Assert.Equal(bufferChunks + 1, feed.Window);

        // Everything is handed over before the sink takes anything: the feed alone decides when each offer is safe.
        // A refused offer would lose its element, and the sink would never see all of them.
        for (var i = 0; i < count; i++)
            feed.Add([i]);
        sink.Reply("ack");
        var received = new List<int>();
        while (received.Count < count)
        {
            received.Add(await sink.ExpectMsgAsync<int>());
            sink.Reply("ack");
        }

        Assert.Equal(Enumerable.Range(0, count), received);
        Assert.Equal(count, feed.Pulled);
    }

    [Fact]
    public async Task Chunks_handed_over_while_the_stream_takes_them_keep_their_order()
    {
        // The stream takes as fast as it can while chunks arrive from this thread: offers made here and offers made by
        // the stream's own pulls interleave, and none may overtake another.
        const int count = 20_000;
        var (source, feed) = QueueFeed<int>.Queue(1);
        var (queue, seen) = source.ToMaterialized(Sink.Seq<int>(), Keep.Both).Run(Sys.Materializer());
        var waiter = CreateTestProbe();
        for (int i = 0, size = 1; i < count; i += size, size = size % 7 + 1)
            feed.Add(Enumerable.Range(i, Math.Min(size, count - i)).ToList());
        if (feed.WakeAt(count, waiter.Ref))
            await waiter.ExpectMsgAsync<QueueChanged>(TimeSpan.FromSeconds(30));

        queue.Complete();
        Assert.Equal(Enumerable.Range(0, count), await seen);
    }

    [Fact]
    public async Task The_waiter_is_told_once_the_pull_it_asked_for_has_happened_and_not_before()
    {
        var (source, feed) = QueueFeed<int>.Queue(1);
        var sink = await SlowSinkAsync(source);
        feed.Add([0, 1, 2, 3, 4]);

        // Until acknowledged the sink holds one element, so at most one has left the queue.
        var waiter = CreateTestProbe();
        Assert.True(feed.WakeAt(3, waiter.Ref));
        for (var i = 0; i < 2; i++)
        {
            sink.Reply("ack");
            await sink.ExpectMsgAsync(i);
        }

        sink.Reply("ack");
        await waiter.ExpectMsgAsync<QueueChanged>();
        Assert.InRange(feed.Pulled, 3, 5);
        Assert.False(feed.WakeAt(3, waiter.Ref));
    }
}
