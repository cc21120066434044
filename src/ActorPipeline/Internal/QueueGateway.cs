using Akka.Actor;
using Akka.Streams;

namespace ActorPipeline.Internal;

/// <summary>The only actor that touches the stream's queue: it makes the offers and turns them into producer credit.</summary>
/// <remarks>
/// Akka.NET's <c>Source.Queue</c> with <c>OverflowStrategy.Backpressure</c> refuses an offer made while its buffer is
/// full and another offer is pending. The gateway makes only offers that cannot be refused (<see cref="QueueWindow"/>)
/// and meanwhile collects what producers send. Each offer carries everything already waiting (up to one chunk), so
/// chunks form without ever waiting for one to fill. An offer is settled when the stream takes its chunk from the
/// queue; only then are its producers acknowledged, which is how a full queue slows producers down.
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

    /// <summary>Who sent the items of one offer, in order, and how many each.</summary>
    private sealed record Offer(List<(Account Account, IActorRef Producer, int Count)> Shares);

    private readonly ISourceQueueWithComplete<Chunk<T>> _queue;
    private readonly QueueWindow _window;
    private readonly IActorRef _supervisor;
    private readonly PipelineCounters _counters;
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

    // Offers not yet settled, oldest first; offers [0, _settled) are settled and _offered were made.
    private readonly Queue<Offer> _unsettled = new();
    private long _offered;
    private long _settled;
    private bool _completeWhenIdle;
    private bool _completed;

    public QueueGateway(
        ISourceQueueWithComplete<Chunk<T>> queue, QueueWindow window, IActorRef supervisor, PipelineCounters counters, int chunkSize, int credit)
    {
        _queue = queue;
        _window = window;
        _supervisor = supervisor;
        _counters = counters;
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
            Settle(_window.Pulled);
            while (!_completed && _waitingItems > 0 && _window.HasRoom(_offered))
                MakeOffer();
            FailIfQueueEnded();

            if (_completed || _unsettled.Count == 0)
            {
                if (_completeWhenIdle && !_completed && _waitingItems == 0)
                    Complete();
                return;
            }

            // Offers wait to be taken (and the window may be full): hear of the next pull, unless one came meanwhile.
            if (_window.WakeOnPull(Self) == _settled)
                return;
        }
    }

    private void MakeOffer()
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
        // The offer's task is not watched: the chunk leaving the queue (QueueWindow.Pulled) says it was taken, and a
        // queue that ended says the rest never will be.
        _ = _queue.OfferAsync(new Chunk<T>(_offered++, items));
        _unsettled.Enqueue(new Offer(shares));
    }

    /// <summary>Settles the offers whose chunks the stream has taken (<paramref name="pulled"/> in all).</summary>
    private void Settle(long pulled)
    {
        var items = 0;
        while (_settled < pulled && _unsettled.TryDequeue(out var offer))
        {
            _settled++;
            foreach (var (account, producer, count) in offer.Shares)
            {
                account.Produced += count;
                account.Taken += count;
                items += count;

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

        if (items > 0)
            _counters.AddProduced(items);
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
        // What the stream did take is acknowledged (acks are gathered, so some may still be owed); the rest is refused.
        foreach (var (producer, account) in _accounts)
        {
            if (account.Taken > 0 && account.Attached)
                producer.Tell(new ProduceAck(account.Taken));
            account.Unacked -= account.Taken;
            account.Taken = 0;
        }

        var reason = $"The pipeline queue failed: {cause.Message}";
        foreach (var offer in _unsettled)
        {
            foreach (var (_, producer, count) in offer.Shares)
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
