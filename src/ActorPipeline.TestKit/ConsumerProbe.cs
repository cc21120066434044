using Akka.Actor;
using Akka.TestKit;

namespace ActorPipeline.TestKit;

/// <summary>Stands in for a pipeline's consumers: every chunk the pool routes reaches the test, which answers each item
/// when it likes — succeeded, failed with an exception, or held until later.</summary>
/// <remarks>
/// Give <see cref="Props"/> to <c>WithConsumerProps</c>: each routee of the pool hands its chunks to this probe. Nothing
/// is answered unless the test answers it, so the test decides when items finish, and with them when credit returns
/// to the producers.
/// </remarks>
public sealed class ConsumerProbe<T>
{
    private readonly TestKitBase _testKit;

    /// <summary>A consumer probe of <paramref name="testKit"/>.</summary>
    public ConsumerProbe(TestKitBase testKit)
    {
        _testKit = testKit ?? throw new ArgumentNullException(nameof(testKit));
        Probe = testKit.CreateTestProbe();
        var target = Probe.Ref;
        Props = Props.Create(() => new ChunkForwarder(target));
    }

    /// <summary>The test probe the chunks reach.</summary>
    public TestProbe Probe { get; }

    /// <summary>The routee the pool creates: it hands every chunk to the probe, keeping the pipeline's reply address.</summary>
    public Props Props { get; }

    /// <summary>Expects the next chunk.</summary>
    public async Task<ProbedChunk<T>> ExpectChunkAsync(TimeSpan? within = null)
    {
        var what = $"a chunk of {typeof(T).Name} items";
        var (received, envelope) = await Probe.TryReceiveOneAsync(within ?? _testKit.RemainingOrDefault);
        if (!received || envelope.Message is not ConsumeChunk<T> chunk)
            throw Expectations.Fail(_testKit, what, received ? envelope.Message : null);
        return new ProbedChunk<T>(_testKit, chunk, envelope.Sender);
    }

    /// <summary>Expects the next <paramref name="items"/> items, in as many chunks as they come; fails if the chunks hold more.</summary>
    public async Task<IReadOnlyList<ProbedChunk<T>>> ExpectItemsAsync(int items, TimeSpan? within = null)
    {
        var chunks = new List<ProbedChunk<T>>();
        while (chunks.Sum(c => c.Items.Count) < items)
            chunks.Add(await ExpectChunkAsync(within));
        var got = chunks.Sum(c => c.Items.Count);
        if (got > items)
            throw Expectations.Fail(_testKit, $"Expected the next {items} items, but the chunks that came hold {got}: [{string.Join(", ", chunks.SelectMany(c => c.Items))}].");
        return chunks;
    }

    /// <summary>Expects no chunk for <paramref name="duration"/>.</summary>
    public async Task ExpectNoChunkAsync(TimeSpan duration)
    {
        var (received, envelope) = await Probe.TryReceiveOneAsync(duration);
        if (received)
            throw Expectations.Fail(_testKit, $"Expected no chunk for {duration}, but received {Describe(envelope.Message)}.");
    }

    private static string Describe(object message) =>
        message is ConsumeChunk<T> chunk ? $"a chunk of {chunk.Items.Count} items [{string.Join(", ", chunk.Items)}]" : $"{message}";

    private sealed class ChunkForwarder : ReceiveActor
    {
        public ChunkForwarder(IActorRef target) => ReceiveAny(message => target.Forward(message));
    }
}

/// <summary>A chunk a <see cref="ConsumerProbe{T}"/> received: the test answers it once, whole or in part, or holds it.</summary>
public sealed class ProbedChunk<T>
{
    private readonly TestKitBase _testKit;
    private readonly IActorRef _replyTo;
    private readonly List<ItemFault> _failures = [];
    private bool _answered;

    internal ProbedChunk(TestKitBase testKit, ConsumeChunk<T> chunk, IActorRef replyTo)
    {
        _testKit = testKit;
        _replyTo = replyTo;
        Id = chunk.ChunkId;
        Items = chunk.Items;
        Attempt = chunk.Attempt;
    }

    /// <summary>The chunk's id.</summary>
    public long Id { get; }

    /// <summary>The items, in order.</summary>
    public IReadOnlyList<T> Items { get; }

    /// <summary>0 when the items come for the first time; how often they were tried before, otherwise.</summary>
    public int Attempt { get; }

    /// <summary>Marks the item at <paramref name="index"/> as failed with <paramref name="cause"/>, to be answered with the rest.</summary>
    public ProbedChunk<T> Fail(int index, Exception cause)
    {
        if (index < 0 || index >= Items.Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The chunk holds {Items.Count} items.");
        _failures.Add(new ItemFault(index, cause, Attempt + 1));
        return this;
    }

    /// <summary>Answers the chunk: every item handled, successfully unless marked failed.</summary>
    public void Complete() => Answer(new ChunkConsumed(Id, "consumer-probe", Items.Count, _failures.ToArray(), 0, null));

    /// <summary>Answers for the items before <paramref name="answered"/> and gives the rest back: the first of them counts as
    /// tried when <paramref name="started"/> (it was in a handler), the others go to a consumer again.</summary>
    public void Interrupt(int answered, Exception reason, bool started = true) =>
        Answer(new ChunkConsumed(Id, "consumer-probe", answered, _failures.Where(f => f.Index < answered).ToArray(), 0, reason, started));

    private void Answer(ChunkConsumed answer)
    {
        if (_answered)
            throw Expectations.Fail(_testKit, $"Chunk {Id} [{string.Join(", ", Items)}] was answered already; a consumer answers a chunk once.");
        _answered = true;
        _replyTo.Tell(answer);
    }
}
