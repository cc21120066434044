using Akka.Actor;
using Akka.Streams;

namespace ActorPipeline.Internal;

/// <summary>The only actor that touches the stream's queue: it makes the offers and turns them into producer credit.</summary>
/// <remarks>
/// Akka.NET's <c>Source.Queue</c> with <c>OverflowStrategy.Backpressure</c> refuses an offer made while its buffer is
/// full and another offer is pending. The gateway makes only offers that cannot be refused (<see cref="QueueWindow"/>),
/// pipes each result back to itself, and meanwhile collects what producers send. Each offer carries everything already
/// waiting (up to one chunk), so chunks form without ever waiting for one to fill. A producer is acknowledged only once
/// its items are enqueued, which is how a full queue slows producers down.
/// </remarks>
internal sealed class QueueGateway<T> : ReceiveActor
{
    private sealed class Account
    {
        public bool Attached = true;
        public int Unacked;
        public int Waiting;
        public int Enqueued;
        public long Produced;
    }

    /// <summary>Who sent the items of one offer, in order, and how many each; <see cref="Gateway"/> hears its result.</summary>
    private sealed class Offer(IActorRef gateway)
    {
        public IActorRef Gateway { get; } = gateway;

        public List<(Account Account, IActorRef Producer, int Count)> Shares { get; } = [];
    }

    /// <summary>The result of an <c>OfferAsync</c>, piped back to the gateway.</summary>
    private sealed record OfferCompleted(Offer Offer, IQueueOfferResult Result);

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
    private long _offered;
    private int _outstanding;
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
        Receive<OfferCompleted>(o => OnOfferCompleted(o.Offer, o.Result));
        Receive<QueueRoom>(_ => OfferNext());
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
        while (!_completed && _waitingItems > 0)
        {
            if (!_window.HasRoom(_offered) && !_window.WaitForRoom(Self, _offered))
                return;
            MakeOffer();
        }

        if (_completeWhenIdle && !_completed && _waitingItems == 0 && _outstanding == 0)
            Complete();
    }

    private void MakeOffer()
    {
        var offer = new Offer(Self);
        var items = new T[Math.Min(_waitingItems, _chunkSize)];
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
            if (offer.Shares.Count > 0 && offer.Shares[^1].Account == batch.Account)
                offer.Shares[^1] = offer.Shares[^1] with { Count = offer.Shares[^1].Count + take };
            else
                offer.Shares.Add((batch.Account, batch.Producer, take));
            if (batch.Taken == batch.Count)
                _waiting.Dequeue();
        }

        _waitingItems -= items.Length;
        _outstanding++;
        // The queue completes the offer's task asynchronously (on the thread pool); the result is told from there.
        _queue.OfferAsync(new Chunk<T>(_offered++, items)).ContinueWith(
            static (task, state) =>
            {
                var offer = (Offer)state!;
                offer.Gateway.Tell(new OfferCompleted(offer, task.IsCompletedSuccessfully
                    ? task.Result
                    : new QueueOfferResult.Failure(task.Exception is { } e ? Exceptions.Unwrap(e) : new OperationCanceledException("The offer was cancelled."))));
            },
            offer,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void OnOfferCompleted(Offer offer, IQueueOfferResult result)
    {
        _outstanding--;
        if (result is QueueOfferResult.Enqueued)
        {
            var items = 0;
            foreach (var (account, producer, count) in offer.Shares)
            {
                account.Produced += count;
                account.Enqueued += count;
                items += count;

                // Acks are gathered: a producer hears back once half its credit is in the queue, or as soon as none
                // of its items is left waiting here (it may be stalled on its credit). Fewer acks, no stalls.
                if (account.Enqueued >= _ackThreshold || account.Waiting == 0)
                {
                    account.Unacked -= account.Enqueued;
                    if (account.Attached)
                        producer.Tell(new ProduceAck(account.Enqueued));
                    account.Enqueued = 0;
                }
            }

            _counters.AddProduced(items);
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
        foreach (var (_, producer, count) in offer.Shares)
            producer.Tell(new ProduceRefused(count, $"The pipeline queue failed: {cause.Message}"));
        if (_completed)
            return;
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
