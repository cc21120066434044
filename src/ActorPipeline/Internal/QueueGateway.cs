using Akka.Actor;
using Akka.Streams;

namespace ActorPipeline.Internal;

/// <summary>The only actor that touches the stream's queue: it serializes offers and turns them into producer credit.</summary>
/// <remarks>
/// Akka.NET's <c>Source.Queue</c> with <c>OverflowStrategy.Backpressure</c> allows a single pending offer; a second
/// one while the buffer is full fails. So the gateway keeps at most one offer outstanding, pipes its result back to
/// itself, and meanwhile collects what producers send. Each offer carries everything already waiting (up to one
/// chunk), so chunks form without ever waiting for one to fill. A producer is acknowledged only once its items are
/// enqueued, which is how a full queue slows producers down.
/// </remarks>
internal sealed class QueueGateway<T> : ReceiveActor
{
    private sealed class Account
    {
        public bool Attached = true;
        public int Unacked;
        public long Produced;
    }

    private readonly ISourceQueueWithComplete<Chunk<T>> _queue;
    private readonly IActorRef _supervisor;
    private readonly int _chunkSize;
    private readonly int _credit;
    private readonly Dictionary<IActorRef, Account> _accounts = new();
    private readonly Queue<(Account Account, IActorRef Producer, T Item)> _waiting = new();
    private readonly Dictionary<IActorRef, int> _inOffer = new();
    private long _nextChunkId;
    private bool _offerPending;
    private bool _completeWhenIdle;
    private bool _completed;

    public QueueGateway(ISourceQueueWithComplete<Chunk<T>> queue, IActorRef supervisor, int chunkSize, int credit)
    {
        _queue = queue;
        _supervisor = supervisor;
        _chunkSize = chunkSize;
        _credit = credit;

        Receive<Produce<T>>(p => Accept(Sender, [p.Item]));
        Receive<ProduceBatch<T>>(b => Accept(Sender, b.Items));
        Receive<OfferCompleted>(o => OnOfferCompleted(o.Result));
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

    private void Accept(IActorRef producer, IReadOnlyList<T> items)
    {
        if (!_accounts.TryGetValue(producer, out var account) || !account.Attached)
        {
            producer.Tell(new ProduceRefused(items.Count, "The sender is not a registered producer of this pipeline; send RegisterProducer to the pipeline first."));
            return;
        }

        var room = _credit - account.Unacked;
        var accepted = Math.Min(room, items.Count);
        for (var i = 0; i < accepted; i++)
            _waiting.Enqueue((account, producer, items[i]));
        account.Unacked += accepted;

        if (accepted < items.Count)
            producer.Tell(new ProduceRefused(items.Count - accepted,
                $"The producer exceeded its credit of {_credit} unacknowledged items; wait for ProduceAck before sending more."));

        OfferNext();
    }

    private void OfferNext()
    {
        if (_offerPending || _completed)
            return;

        if (_waiting.Count == 0)
        {
            if (_completeWhenIdle)
                Complete();
            return;
        }

        var items = new T[Math.Min(_waiting.Count, _chunkSize)];
        for (var i = 0; i < items.Length; i++)
        {
            var (_, producer, item) = _waiting.Dequeue();
            items[i] = item;
            _inOffer[producer] = _inOffer.GetValueOrDefault(producer) + 1;
        }

        _offerPending = true;
        _queue.OfferAsync(new Chunk<T>(_nextChunkId++, items)).PipeTo(
            Self,
            success: result => new OfferCompleted(result),
            failure: ex => new OfferCompleted(new QueueOfferResult.Failure(ex)));
    }

    private void OnOfferCompleted(IQueueOfferResult result)
    {
        _offerPending = false;
        if (result is QueueOfferResult.Enqueued)
        {
            var items = 0;
            foreach (var (producer, count) in _inOffer)
            {
                var account = _accounts[producer];
                account.Unacked -= count;
                account.Produced += count;
                items += count;
                if (account.Attached)
                    producer.Tell(new ProduceAck(count));
            }

            _inOffer.Clear();
            _supervisor.Tell(new ChunkEnqueued(items));
            OfferNext();
            return;
        }

        // The queue is closed or failed: the stream is broken, and the supervisor faults the run. The items of this
        // offer never entered the queue, so their producers are told rather than left waiting for an ack.
        var cause = result switch
        {
            QueueOfferResult.Failure f => f.Cause,
            _ => new InvalidOperationException($"The pipeline queue answered {result.GetType().Name} to an offer."),
        };
        foreach (var (producer, count) in _inOffer)
            producer.Tell(new ProduceRefused(count, $"The pipeline queue failed: {cause.Message}"));
        _inOffer.Clear();
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
