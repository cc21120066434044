using Akka.Actor;
using Akka.Streams;

namespace ActorPipeline.Internal;

/// <summary>The actor between producers and the stream's queue: it forms chunks for the queue's feed and turns the chunks taken into producer credit.</summary>
/// <remarks>
/// Akka.NET's <c>Source.Queue</c> with <c>OverflowStrategy.Backpressure</c> refuses an offer made while its buffer is
/// full and another offer is pending. The gateway collects what producers send and hands it, in chunks, to the
/// queue's feed (<see cref="QueueFeed{TChunk}"/>), which offers each chunk when the queue can take it without refusal.
/// A chunk carries everything already waiting (up to chunk-size items), so chunks form without ever waiting for one
/// to fill; under a backlog full chunks are handed over ahead, so the stream takes them on its own thread and the
/// gateway is needed only once per many chunks. A chunk is settled when the stream takes it from the queue;
/// only then are its producers acknowledged, which is how a full queue slows producers down.
/// </remarks>
internal sealed class QueueGateway<T> : ReceiveActor
{
    private sealed class Account
    {
        public bool Attached = true;
        public int Unacked;
        public int Waiting;
        public int Taken;
        public long Produced;
    }

    /// <summary>Who sent the items of one chunk handed over, in order, and how many each.</summary>
    private sealed record Handed(List<(Account Account, IActorRef Producer, int Count)> Shares);

    // Full chunks handed to the feed beyond what the queue itself can take, and the gateway wakes once per half of
    // them. With 8 (a wake per 4 chunks) the stream found nothing handed at 6% of its pulls with a buffer of 5, and
    // the wakes were most of the pipeline's thread-pool work items; with 32, under 1%.
    private const int HandedAhead = 32;

    private readonly ISourceQueueWithComplete<Chunk<T>> _queue;
    private readonly QueueFeed<Chunk<T>> _feed;
    private readonly IActorRef _supervisor;
    private readonly int _chunkSize;
    private readonly int _credit;
    private readonly int _ackThreshold;
    /// <summary>What one produce message brought, and how much of it has gone into chunks.</summary>
    private sealed class Batch(Account account, IActorRef producer, IReadOnlyList<T> items, int count)
    {
        public Account Account { get; } = account;
        public IActorRef Producer { get; } = producer;
        public IReadOnlyList<T> Items { get; } = items;
        public int Count { get; } = count;
        public int Taken { get; set; }
    }

    private readonly Dictionary<IActorRef, Account> _accounts = new();

    // Waiting items are kept as the batches they came in, so that chunking costs a copy per item and nothing
    // more: no per-item queue entry, no per-item lookup of the producer.
    private readonly Queue<Batch> _waiting = new();
    private int _waitingItems;

    // Chunks handed over and not yet settled, oldest first; chunks [0, _settled) are settled and _handed were handed over.
    private readonly Queue<Handed> _unsettled = new();
    private readonly List<Chunk<T>> _handing = new(HandedAhead + 1);
    private long _handed;
    private long _settled;
    private bool _completeWhenIdle;
    private bool _completed;

    public QueueGateway(
        ISourceQueueWithComplete<Chunk<T>> queue, QueueFeed<Chunk<T>> feed, IActorRef supervisor, int chunkSize, int credit)
    {
        _queue = queue;
        _feed = feed;
        _supervisor = supervisor;
        _chunkSize = chunkSize;
        _credit = credit;
        _ackThreshold = Math.Max(1, credit / 2);

        Receive<Produce<T>>(p => Accept(Sender, [p.Item]));
        Receive<ProduceBatch<T>>(b => Accept(Sender, b.Items));
        Receive<QueueChanged>(_ => OfferNext());
        Receive<Attach>(a => _accounts[a.Producer] = new Account());
        Receive<Detach>(OnDetach);
        Receive<CompleteWhenIdle>(_ =>
        {
            _completeWhenIdle = true;
            OfferNext();
        });
        Receive<IItemCount>(m => Sender.Tell(new ProduceRefused(
            m.Count, $"This pipeline carries items of type {typeof(T).Name}; got {m.GetType().Name}.")));
    }

    // One continuation per pipeline: when the queue ends, the gateway looks again (see FailIfQueueEnded).
    protected override void PreStart() =>
        _queue.WatchCompletionAsync().ContinueWith(
            static (_, self) => ((IActorRef)self!).Tell(QueueChanged.Instance),
            Self,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

    private void Accept(IActorRef producer, IReadOnlyList<T> items)
    {
        if (!_accounts.TryGetValue(producer, out var account) || !account.Attached)
        {
            producer.Tell(new ProduceRefused(items.Count, "The sender is not a registered producer of this pipeline; send RegisterProducer to the pipeline first."));
            return;
        }

        var room = _credit - account.Unacked;
        var accepted = Math.Min(room, items.Count);
        if (accepted > 0)
        {
            _waiting.Enqueue(new Batch(account, producer, items, accepted));
            _waitingItems += accepted;
            account.Waiting += accepted;
            account.Unacked += accepted;
        }

        if (accepted < items.Count)
            producer.Tell(new ProduceRefused(items.Count - accepted,
                $"The producer exceeded its credit of {_credit} unacknowledged items; wait for ProduceAck before sending more."));

        OfferNext();
    }

    private void OfferNext()
    {
        while (true)
        {
            Settle(_feed.Pulled);
            HandOver();
            FailIfQueueEnded();

            if (_completed || _unsettled.Count == 0)
            {
                if (_completeWhenIdle && !_completed && _waitingItems == 0)
                    Complete();
                return;
            }

            // Chunks wait to be taken: with a backlog here, come back when half the chunks handed ahead are taken;
            // otherwise at the next take (its producers may wait for their ack). Unless that take came meanwhile.
            var wakeAt = _waitingItems >= _chunkSize ? _handed - _feed.Window - HandedAhead / 2 : _settled + 1;
            if (_feed.WakeAt(wakeAt, Self))
                return;
        }
    }

    // Full chunks go ahead while fewer than the queue's window plus HandedAhead are untaken; a partial chunk only while
    // the queue itself has room, so that under load items wait here and join full chunks.
    private void HandOver()
    {
        while (!_completed && _waitingItems > 0)
        {
            var limit = _waitingItems >= _chunkSize ? _feed.Window + HandedAhead : _feed.Window;
            if (_handed - _feed.Pulled >= limit)
                break;
            _handing.Add(NextChunk());
        }

        // All at once: the stream takes the feed's lock on every pull, and the gateway should hold it rarely.
        if (_handing.Count == 0)
            return;
        _feed.Add(_handing);
        _handing.Clear();
    }

    private Chunk<T> NextChunk()
    {
        var items = new T[Math.Min(_waitingItems, _chunkSize)];
        var shares = new List<(Account Account, IActorRef Producer, int Count)>(1);
        var filled = 0;
        while (filled < items.Length)
        {
            var batch = _waiting.Peek();
            var take = Math.Min(items.Length - filled, batch.Count - batch.Taken);
            for (var i = 0; i < take; i++)
                items[filled + i] = batch.Items[batch.Taken + i];
            batch.Taken += take;
            batch.Account.Waiting -= take;
            filled += take;
            if (shares.Count > 0 && shares[^1].Account == batch.Account)
                shares[^1] = shares[^1] with { Count = shares[^1].Count + take };
            else
                shares.Add((batch.Account, batch.Producer, take));
            if (batch.Taken == batch.Count)
                _waiting.Dequeue();
        }

        _waitingItems -= items.Length;
        _unsettled.Enqueue(new Handed(shares));
        return new Chunk<T>(_handed++, items);
    }

    /// <summary>Settles the chunks the stream has taken (<paramref name="pulled"/> in all).</summary>
    private void Settle(long pulled)
    {
        while (_settled < pulled && _unsettled.TryDequeue(out var handed))
        {
            _settled++;
            foreach (var (account, producer, count) in handed.Shares)
            {
                account.Produced += count;
                account.Taken += count;

                // Acks are gathered: a producer hears back once half its credit has been taken, or as soon as none
                // of its items is left waiting here (it may be stalled on its credit). Fewer acks, no stalls.
                if (account.Taken >= _ackThreshold || account.Waiting == 0)
                {
                    account.Unacked -= account.Taken;
                    if (account.Attached)
                        producer.Tell(new ProduceAck(account.Taken));
                    account.Taken = 0;
                }
            }
        }
    }

    // A queue that has ended takes nothing more: the stream broke (the supervisor hears of that from the stream as
    // well, and faults the run), so items not yet taken are refused and no producer is left waiting for an ack.
    private void FailIfQueueEnded()
    {
        if (_completed || _queue.WatchCompletionAsync() is not { IsCompleted: true } ended || (_unsettled.Count == 0 && _waitingItems == 0))
            return;

        var cause = ended.Exception is { } e
            ? Exceptions.Unwrap(e)
            : new InvalidOperationException("The pipeline queue closed before the stream took these items.");
        // Chunks may have left the queue since the last look, but none leaves an ended queue: settle them first.
        Settle(_feed.Pulled);
        // What the stream did take is acknowledged (acks are gathered, so some may still be owed); the rest is refused.
        foreach (var (producer, account) in _accounts)
        {
            if (account.Taken > 0 && account.Attached)
                producer.Tell(new ProduceAck(account.Taken));
            account.Unacked -= account.Taken;
            account.Taken = 0;
        }

        var reason = $"The pipeline queue failed: {cause.Message}";
        foreach (var handed in _unsettled)
        {
            foreach (var (_, producer, count) in handed.Shares)
                producer.Tell(new ProduceRefused(count, reason));
        }

        foreach (var batch in _waiting)
            batch.Producer.Tell(new ProduceRefused(batch.Count - batch.Taken, reason));

        _unsettled.Clear();
        _waiting.Clear();
        _waitingItems = 0;
        _completed = true;
        _supervisor.Tell(new GatewayFailed(cause));
    }

    private void OnDetach(Detach detach)
    {
        if (!_accounts.TryGetValue(detach.Producer, out var account))
            return;
        account.Attached = false;
        Settle(_feed.Pulled); // its count is up to date, even while the gateway waits for more chunks to be taken
        _supervisor.Tell(new ProducerDetached(detach.Producer, account.Produced));
    }

    private void Complete()
    {
        _completed = true;
        var produced = _accounts.ToDictionary(a => a.Key, a => a.Value.Produced);
        _supervisor.Tell(new GatewayCompleted(produced));
        _queue.Complete();
    }
}
