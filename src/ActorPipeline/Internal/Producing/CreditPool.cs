using System.Diagnostics;
using Akka.Actor;

namespace ActorPipeline.Internal;

/// <summary>The pipeline's capacity as credit: a producer takes credit before an item may exist, and the item's credit
/// comes back when its outcome is known. So the items in the pipeline never outnumber the capacity.</summary>
/// <remarks>
/// Taking and returning are a compare-and-swap on one number, with no message, so a producer with a synchronous
/// source and a stream that finishes items run without waking anybody. Only an actor that found no credit waits: it
/// is told <see cref="CreditReturned"/> when credit comes back, at most one actor per returned item, in the order
/// they began to wait. A woken actor that finds the credit gone (another producer took it first) waits again; one
/// that no longer needs credit passes the wake on (<c>Return(0)</c>), or the credit would lie unused while others wait.
/// </remarks>
internal sealed class CreditPool
{
    private readonly Lock _lock = new();
    private readonly List<IActorRef> _waiters = [];
    private int _available;

    // Read without the lock on every return; set under the lock. Both sides fence (Interlocked) between their write and
    // their read, so a waiter that registers while credit comes back is either seen here or sees the credit itself.
    private int _hasWaiters;
    private readonly object _wake;

    /// <summary>A pool of <paramref name="capacity"/>; a waiter is told <paramref name="wake"/> (<see cref="CreditReturned"/>
    /// unless given) when some comes back.</summary>
    public CreditPool(int capacity, object? wake = null)
    {
        Capacity = capacity;
        _available = capacity;
        _wake = wake ?? CreditReturned.Instance;
    }

    /// <summary>The credit there is in all.</summary>
    public int Capacity { get; }

    /// <summary>Credit nobody holds right now.</summary>
    public int Available => Volatile.Read(ref _available);

    /// <summary>Takes up to <paramref name="max"/> credit; returns how much it took, 0 when there is none.</summary>
    public int TryTake(int max)
    {
        var seen = Volatile.Read(ref _available);
        while (seen > 0)
        {
            var take = Math.Min(seen, max);
            var before = Interlocked.CompareExchange(ref _available, seen - take, seen);
            if (before == seen)
                return take;
            seen = before;
        }

        return 0;
    }

    /// <summary>Takes up to <paramref name="max"/> credit or, when there is none, has <paramref name="waiter"/> told
    /// <see cref="CreditReturned"/> once some comes back; returns the credit taken (0 means wait).</summary>
    public int TakeOrWait(int max, IActorRef waiter)
    {
        var taken = TryTake(max);
        if (taken > 0)
            return taken;

        lock (_lock)
        {
            if (!_waiters.Contains(waiter))
                _waiters.Add(waiter);
            Interlocked.Exchange(ref _hasWaiters, 1);
        }

        // Credit that came back before the registration was visible wakes nobody: look once more.
        taken = TryTake(max);
        if (taken > 0)
            Forget(waiter);
        return taken;
    }

    /// <summary>Gives <paramref name="items"/> credit back (0 passes a wake on) and wakes as many waiting actors as there is credit for.</summary>
    public void Return(int items)
    {
        if (items > 0)
        {
            var available = Interlocked.Add(ref _available, items);
            Debug.Assert(available <= Capacity, "More credit came back than was taken.");
        }
        else
            Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _hasWaiters) == 0)
            return;

        lock (_lock)
        {
            var wake = Math.Min(_waiters.Count, Volatile.Read(ref _available));
            for (var i = 0; i < wake; i++)
                _waiters[i].Tell(_wake);
            _waiters.RemoveRange(0, wake);
            if (_waiters.Count == 0)
                Volatile.Write(ref _hasWaiters, 0);
        }
    }

    /// <summary>Stops waiting on behalf of <paramref name="waiter"/> (it stopped, or found credit by itself).</summary>
    public void Forget(IActorRef waiter)
    {
        lock (_lock)
        {
            _waiters.Remove(waiter);
            if (_waiters.Count == 0)
                Volatile.Write(ref _hasWaiters, 0);
        }
    }
}

/// <summary>Credit came back to the pool: the actor that waited for it tries to take some.</summary>
internal sealed record CreditReturned
{
    public static CreditReturned Instance { get; } = new();
}
