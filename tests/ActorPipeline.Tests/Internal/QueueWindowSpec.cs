using ActorPipeline.Internal;
using Akka.Configuration;
using Akka.Streams;
using Akka.Streams.Dsl;
using Xunit.Abstractions;

namespace ActorPipeline.Tests.Internal;

public sealed class QueueWindowSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.loglevel = WARNING"), output: output)
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Offers_made_only_while_the_window_has_room_are_never_refused_and_the_next_pull_wakes_the_waiter(int bufferChunks)
    {
        const int count = 60;
        var (source, window) = QueueWindow.Queue<int>(bufferChunks);
        var sink = CreateTestProbe();
        var queue = source
            .To(Sink.ActorRefWithAck<int>(sink.Ref, "init", "ack", "done"))
            .WithAttributes(Attributes.CreateInputBuffer(1, 1))
            .Run(Sys.Materializer());
        await sink.ExpectMsgAsync("init");
        sink.Reply("ack");
        Assert.Equal(bufferChunks + 1, window.Size);

        // Offer as fast as the window allows; when it is full, take one element downstream and wait to be woken.
        var waiter = CreateTestProbe();
        var offers = new List<Task<IQueueOfferResult>>();
        var received = new List<int>();
        var wakes = 0;
        for (var offered = 0; offered < count; offered++)
        {
            while (!window.HasRoom(offered))
            {
                if (window.WakeOnPull(waiter.Ref) + window.Size > offered)
                    continue; // a chunk left meanwhile: there is room (and the message may still come)
                received.Add(await sink.ExpectMsgAsync<int>());
                sink.Reply("ack");
                await waiter.ExpectMsgAsync<QueueChanged>();
                wakes++;
            }

            offers.Add(queue.OfferAsync(offered));
        }

        queue.Complete();
        while (received.Count < count)
        {
            received.Add(await sink.ExpectMsgAsync<int>());
            sink.Reply("ack");
        }

        await sink.ExpectMsgAsync("done");
        Assert.All(await Task.WhenAll(offers), result => Assert.IsType<QueueOfferResult.Enqueued>(result));
        Assert.Equal(Enumerable.Range(0, count), received);
        Assert.InRange(wakes, 1, count);
        Assert.Equal(count, window.Pulled);
    }
}
