using ActorPipeline.Internal;
using Akka.Actor;
using Akka.Configuration;
using Xunit.Abstractions;

namespace ActorPipeline.Tests.Internal;

public sealed class SourceProducerSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.loglevel = ERROR"), output: output)
{
    private IActorRef Producer(Func<CancellationToken, IAsyncEnumerable<int>> source, int chunkSize = 64) =>
        Sys.ActorOf(Props.Create(() => new SourceProducer<int>(source, chunkSize)));

    [Fact]
    public async Task It_pulls_only_as_many_items_as_its_credit_allows()
    {
        var pulled = 0;
        var producer = Producer(ct => TestSources.Range(0, 100, _ => Interlocked.Increment(ref pulled), ct), chunkSize: 64);

        producer.Tell(new ProducerRegistered(TestActor, Credit: 5));

        Assert.Equal(Enumerable.Range(0, 5), (await ExpectMsgAsync<ProduceBatch<int>>()).Items);
        await ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        Assert.Equal(5, Volatile.Read(ref pulled));

        producer.Tell(new ProduceAck(3));
        Assert.Equal(Enumerable.Range(5, 3), (await ExpectMsgAsync<ProduceBatch<int>>()).Items);
    }

    [Fact]
    public async Task Items_come_in_batches_of_at_most_the_chunk_size()
    {
        var producer = Producer(ct => TestSources.Range(0, 10, cancellationToken: ct), chunkSize: 4);

        producer.Tell(new ProducerRegistered(TestActor, Credit: 100));

        Assert.Equal(4, (await ExpectMsgAsync<ProduceBatch<int>>()).Items.Count);
        Assert.Equal(4, (await ExpectMsgAsync<ProduceBatch<int>>()).Items.Count);
        Assert.Equal(2, (await ExpectMsgAsync<ProduceBatch<int>>()).Items.Count);
    }

    [Fact]
    public async Task An_item_that_arrives_alone_is_sent_at_once_without_waiting_for_company()
    {
        var gates = Enumerable.Range(0, 3).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var producer = Producer(ct => Gated(gates, ct));

        producer.Tell(new ProducerRegistered(TestActor, Credit: 100));

        for (var i = 0; i < 3; i++)
        {
            gates[i].SetResult();
            Assert.Equal(i, (await ExpectMsgAsync<Produce<int>>()).Item);
        }
    }

    private static async IAsyncEnumerable<int> Gated(
        TaskCompletionSource[] gates, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        for (var i = 0; i < gates.Length; i++)
        {
            await gates[i].Task.WaitAsync(ct);
            yield return i;
        }
    }

    [Fact]
    public async Task It_stops_when_its_source_ends_and_its_last_item_is_acknowledged()
    {
        var producer = Producer(ct => TestSources.Range(0, 3, cancellationToken: ct));
        Watch(producer);

        producer.Tell(new ProducerRegistered(TestActor, Credit: 10));
        await ExpectMsgAsync<ProduceBatch<int>>();
        await ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));

        producer.Tell(new ProduceAck(3));
        await ExpectTerminatedAsync(producer);
    }

    [Fact]
    public async Task A_throwing_source_is_reported_to_the_parent_after_what_it_yielded()
    {
        var parent = CreateTestProbe();
        var producer = parent.ChildActorOf(Props.Create(
            () => new SourceProducer<int>(_ => TestSources.ThrowAfter(0, 2, new IOException("gone")), 64)));

        producer.Tell(new ProducerRegistered(TestActor, Credit: 10));

        Assert.Equal([0, 1], (await ExpectMsgAsync<ProduceBatch<int>>()).Items);
        Assert.Equal("gone", (await parent.ExpectMsgAsync<ProducerFailed>()).Cause.Message);
    }

    [Fact]
    public async Task Stopping_early_cancels_and_disposes_the_source()
    {
        var disposed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var producer = Producer(ct => Endless(disposed, ct));

        producer.Tell(new ProducerRegistered(TestActor, Credit: 2));
        await ExpectMsgAsync<Produce<int>>();
        producer.Tell(new StopProducing("test"));

        await disposed.Task.WaitAsync(TimeSpan.FromSeconds(30));
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
