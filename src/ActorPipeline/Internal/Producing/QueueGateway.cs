using Akka.Actor;
using Akka.Streams;

namespace ActorPipeline.Internal;

/// <summary>The actor that producer actors of the application talk to: it grants them credit from the pipeline's
/// capacity, gathers what they send into chunks and hands the chunks to the queue's feed.</summary>
/// <remarks>
/// Credit is granted from the <see cref="CreditPool"/> in messages (<see cref="ProducerRegistered"/>, then
/// <see cref="ProduceAck"/>), up to <c>producer-credit</c> per producer; it is topped up once half of it is used, and a
/// producer left without credit is served, in turn, when items finish. A chunk carries everything already waiting (up
/// to chunk-size items), so chunks form without ever waiting for one to fill: full chunks are handed over ahead of
/// the stream, a partial one only while the queue has room, so that under load items gather into full chunks here.
/// In a mode that drops items producers are granted no credit limit: every item sent is taken with credit, sent on
/// without it for the dispatch stage to place, or dropped (<see cref="Overflow{T}"/>).
/// </remarks>
internal sealed partial class QueueGateway<T> : ReceiveActor
{
    private sealed class Account(IActorRef producer, string name, ProducerTally tally)
    {
        public IActorRef Producer { get; } = producer;
        public string Name { get; } = name;
        public int Credit;
        public string? GoneReason;
        // When it ran out of credit and began to wait (a Stopwatch timestamp), 0 while it has some.
        public long StarvedSince;

        // Shared with the pipeline's counters, which name each producer with its count in a status.
        public ProducerTally Tally { get; } = tally;

        public long Produced => Tally.Produced;
    }

    /// <summary>What one produce message brought, and how much of it has gone into chunks; <c>From</c> is where it starts
    /// in the message.</summary>
    private sealed class Batch(Account account, IReadOnlyList<T> items, int count, int from = 0, bool unpaid = false)
    {
        public Account Account { get; } = account;

        /// <summary>The items came without credit, in a drop mode: they travel in chunks of their own.</summary>
        public bool Unpaid { get; } = unpaid;

        // The publish span of the message, when a listener traces the pipeline.
        public System.Diagnostics.ActivityContext[]? Traces { get; init; }
        public IReadOnlyList<T> Items { get; } = items;

        /// <summary>Where the batch ends in the message: it holds <c>count</c> items from <c>from</c> on.</summary>
        public int End { get; } = from + count;

        /// <summary>Where the next chunk takes from.</summary>
        public int Taken { get; set; } = from;
    }

    // Full chunks handed to the feed beyond what the queue itself can take, and the gateway wakes once per half of
    // them: the stream then offers them on its own thread and the gateway is needed only once per many chunks.
    private const int HandedAhead = 32;

    private readonly ISourceQueueWithComplete<Chunk<T>> _queue;
    private readonly ProducerLink<T> _link;
    private readonly IActorRef _supervisor;
    private readonly string _pipeline;
    private readonly Dictionary<IActorRef, Account> _accounts = new();
    // Producers whose credit ran out while the pool had none, in the order they ran out: served first when credit returns.
    private readonly List<Account> _starved = [];
    private bool _waitingForCredit;

    // Waiting items are kept as the batches they came in, so that chunking costs a copy per item and nothing
    // more: no per-item queue entry, no per-item lookup of the producer.
    private readonly Queue<Batch> _waiting = new();
    private readonly List<Chunk<T>> _handing = new(HandedAhead + 1);
    private int _waitingItems;
    private bool _completeWhenIdle;
    private string? _closed;
    private readonly Overflow<T>? _overflow;

    public QueueGateway(ISourceQueueWithComplete<Chunk<T>> queue, ProducerLink<T> link, IActorRef supervisor, string pipeline)
    {
        _queue = queue;
        _link = link;
        _supervisor = supervisor;
        _pipeline = pipeline;
        _overflow = link.Overflow is { Waits: false } overflow ? overflow : null;

        Receive<Produce<T>>(p => Accept(Sender, [p.Item]));
        Receive<ProduceBatch<T>>(b => Accept(Sender, b.Items));
        Receive<QueueChanged>(_ => OfferNext());
        Receive<CreditReturned>(_ => ServeStarved());
        Receive<TransitFreed>(_ => OfferNext());
        Receive<Attach>(OnAttach);
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

    protected override void PostStop()
    {
        _link.Credit.Forget(Self);
        _overflow?.Transit.Forget(Self);
    }

    private void OnAttach(Attach attach)
    {
        if (_accounts.TryGetValue(attach.Producer, out var known) && known.GoneReason is null)
        {
            // Registered again (a restarted actor forgets its credit): it is told the credit it holds now.
            attach.Producer.Tell(new ProducerRegistered(Self, _overflow is null ? known.Credit : int.MaxValue));
            return;
        }

        var account = new Account(attach.Producer, attach.Name, attach.Tally ?? new ProducerTally());
        _accounts[attach.Producer] = account;
        if (_overflow is not null)
        {
            attach.Producer.Tell(new ProducerRegistered(Self, int.MaxValue));
            return;
        }

        account.Credit = _link.Credit.TryTake(_link.CreditShare);
        attach.Producer.Tell(new ProducerRegistered(Self, account.Credit));
        if (account.Credit == 0)
            Starve(account);
    }

    private void Accept(IActorRef producer, IReadOnlyList<T> items)
    {
        var account = _accounts.GetValueOrDefault(producer);
        if (_closed is not null || account is null || account.GoneReason is not null)
        {
            producer.Tell(new ProduceRefused(items.Count, RefusalReason(account)));
            return;
        }

        if (_overflow is not null)
        {
            AcceptWithoutWaiting(account, items);
            return;
        }

        var accepted = Math.Min(account.Credit, items.Count);
        if (accepted > 0)
        {
            account.Credit -= accepted;
            Enqueue(account, items, accepted, from: 0, unpaid: false);
        }

        if (accepted < items.Count)
            producer.Tell(new ProduceRefused(items.Count - accepted,
                $"The producer exceeded its credit: {items.Count} items sent with {accepted} left; wait for ProduceAck before sending more."));

        OfferNext();
        TopUp(account);
    }

    // In a drop mode: the items that find credit are taken, the rest go on without it (drop-oldest, drop-newest) or are
    // dropped as they come.
    private void AcceptWithoutWaiting(Account account, IReadOnlyList<T> items)
    {
        var overflow = _overflow!;
        var paid = _link.Credit.TryTake(items.Count);
        if (paid > 0)
            Enqueue(account, items, paid, from: 0, unpaid: false);
        if (overflow.MakesRoom && paid < items.Count)
        {
            Enqueue(account, items, items.Count - paid, from: paid, unpaid: true);
        }
        else
        {
            for (var i = paid; i < items.Count; i++)
                overflow.Dropped(items[i], DropReason.Incoming);
            overflow.CountIncoming(items.Count - paid, account.Tally, account.Producer);
        }

        OfferNext();
    }

    // Items without credit count once they go on to the stage (HandOver): until then they are the gateway's, as a
    // producer actor's mailbox is.
    private void Enqueue(Account account, IReadOnlyList<T> items, int count, int from, bool unpaid)
    {
        if (!unpaid)
        {
            account.Tally.Add(count);
            _link.Counters.AddProduced(count);
        }

        _waiting.Enqueue(new Batch(account, items, count, from, unpaid)
        {
            Traces = PipelineTracing.Publish(_link.Counters.Pipeline, count, _link.Counters.Started),
        });
        _waitingItems += count;
    }

    private string RefusalReason(Account? account) =>
        account?.GoneReason is { } gone ? gone
        : _closed is not null ? _closed
        : $"The sender is not a registered producer of pipeline '{_pipeline}'; send RegisterProducer to the pipeline first.";

    // A producer hears back once half its credit is used, or at once when it has none left; fewer grants, no stalls.
    private void TopUp(Account account)
    {
        if (account.GoneReason is not null || account.Credit > _link.CreditShare / 2)
            return;
        var granted = _link.Credit.TryTake(_link.CreditShare - account.Credit);
        if (granted > 0)
        {
            account.Credit += granted;
            account.Producer.Tell(new ProduceAck(granted));
        }
        else if (account.Credit == 0)
        {
            Starve(account);
        }
    }

    private void Starve(Account account)
    {
        if (!_starved.Contains(account))
        {
            _starved.Add(account);
            account.StarvedSince = _link.Counters.BeginCreditWait(account.StarvedSince);
        }

        WaitForCredit();
    }

    private void WaitForCredit()
    {
        if (_waitingForCredit || _starved.Count == 0)
            return;

        // The pool tells the gateway when credit returns; credit found right now goes to the first starved producer.
        var found = _link.Credit.TakeOrWait(_link.CreditShare, Self);
        if (found == 0)
        {
            _waitingForCredit = true;
            return;
        }

        var first = _starved[0];
        _starved.RemoveAt(0);
        Grant(first, found);
        WaitForCredit();
    }

    private void ServeStarved()
    {
        _waitingForCredit = false;
        if (_starved.Count == 0)
        {
            _link.Credit.Return(0); // nobody here needs the credit any more: the next waiter may
            return;
        }

        while (_starved.Count > 0)
        {
            var account = _starved[0];
            var granted = _link.Credit.TryTake(_link.CreditShare);
            if (granted == 0)
                break;
            _starved.RemoveAt(0);
            Grant(account, granted);
        }

        WaitForCredit();
    }

    private void Grant(Account account, int credit)
    {
        if (account.GoneReason is not null)
        {
            _link.Credit.Return(credit);
            return;
        }

        account.Credit += credit;
        account.StarvedSince = _link.Counters.EndCreditWait(account.StarvedSince);
        account.Producer.Tell(new ProduceAck(credit));
    }

    private void OnDetach(Detach detach)
    {
        if (!_accounts.TryGetValue(detach.Producer, out var account) || account.GoneReason is not null)
            return;
        account.GoneReason = detach.Reason;
        _link.Credit.Return(account.Credit);
        account.Credit = 0;
        _starved.Remove(account);
        account.StarvedSince = _link.Counters.EndCreditWait(account.StarvedSince);
        if (_starved.Count == 0 && _waitingForCredit)
        {
            _link.Credit.Forget(Self);
            _waitingForCredit = false;
        }

        _supervisor.Tell(new ProducerDetached(detach.Producer, account.Produced));
    }

    private void Complete()
    {
        _closed = $"Pipeline '{_pipeline}' takes no more items: every producer has stopped and its queue is complete.";
        _link.Feed.CompleteWhenDrained();
        _supervisor.Tell(new GatewayCompleted(_accounts.ToDictionary(a => a.Key, a => a.Value.Produced)));
    }
}
