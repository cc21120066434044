namespace ActorPipeline.Internal;

/// <summary>How far a routee of this process has got with one chunk: written only by the routee, item by item, and read
/// by the pipeline's counters (a status counts items as their handler finishes them) and by the dispatch stage (a chunk
/// it gives up keeps the outcomes of the items finished before).</summary>
/// <remarks>
/// It travels inside the <see cref="ConsumeChunk{T}"/> to a routee in this process and is never serialized: a routee
/// on another node reports only that it began the chunk (<see cref="ChunkTaken"/>). The dispatch stage writes only
/// <see cref="GiveUp"/>, which tells the routee to drop what is left of the chunk.
/// </remarks>
internal sealed class ChunkProgress
{
    private readonly Lock _lock = new();
    private List<ItemFault>? _faults;
    private List<ItemFault>? _deferred;

    // Items finished, of those failed, and of those to be tried again after a wait (21 bits each: a chunk holds at most
    // 65536 items), written together so a reader never sees one without the others.
    private long _progress;
    private const int Bits = 21;
    private const long Mask = (1L << Bits) - 1;
    private int _retried;
    private long _life;
    private bool _started;
    private bool _givenUp;
    private bool _abandoned;
    private Array? _results;

    /// <summary>Items the routee has finished so far, from the first; of those the items that failed, and those that failed
    /// but are to be tried again after a wait (the retry backoff), which are not finished yet.</summary>
    public (int Answered, int Failed, int Deferred) Progress
    {
        get
        {
            var progress = Volatile.Read(ref _progress);
            return ((int)(progress >> (2 * Bits)), (int)((progress >> Bits) & Mask), (int)(progress & Mask));
        }
    }

    /// <summary>Signs of life: items begun or finished, and checks answered; the dispatch stage takes a routee for stuck
    /// when this stays still for longer than consumer-timeout and two sweeps.</summary>
    public long Life => Volatile.Read(ref _life);

    /// <summary>Whether the pipeline has given the chunk up (its routee looked stuck, or the stop deadline passed).</summary>
    public bool GivenUp => Volatile.Read(ref _givenUp);

    /// <summary>The routee shows a sign of life.</summary>
    public void Alive() => Interlocked.Increment(ref _life);

    /// <summary>The routee has begun the chunk's first item; it writes the results of the items that succeed into
    /// <paramref name="results"/> (when its handler returns results) before it reports them finished.</summary>
    public void Started(Array? results)
    {
        _results = results;
        Volatile.Write(ref _started, true);
        Alive();
    }

    /// <summary>The routee finished the items before <paramref name="answered"/>; <paramref name="fault"/> is set when the last of
    /// them failed, for good or, with <paramref name="deferred"/>, to be tried again after a wait.</summary>
    public void Advance(int answered, int retried, ItemFault? fault, bool deferred = false)
    {
        var (_, failed, waiting) = Progress;
        if (fault is not null)
        {
            lock (_lock)
                (deferred ? _deferred ??= [] : _faults ??= []).Add(fault);
            if (deferred)
                waiting++;
            else
                failed++;
        }

        _retried = retried;
        Volatile.Write(ref _progress, ((long)answered << (2 * Bits)) | ((long)failed << Bits) | (uint)waiting);
        Alive();
    }

    /// <summary>The pipeline gives the chunk up: the routee drops what is left of it; <paramref name="abandoned"/> when the
    /// stop deadline is why (its span says so).</summary>
    public void GiveUp(bool abandoned = false)
    {
        if (abandoned)
            Volatile.Write(ref _abandoned, true);
        Volatile.Write(ref _givenUp, true);
    }

    /// <summary>Whether the chunk was given up at the pipeline's stop deadline.</summary>
    public bool Abandoned => Volatile.Read(ref _abandoned);

    /// <summary>What is known of the chunk now, as an answer that stops at the first unfinished item, for <paramref name="reason"/>.</summary>
    public ChunkConsumed Partial(long chunkId, string consumer, Exception reason)
    {
        lock (_lock)
        {
            var answered = Progress.Answered;
            var started = Volatile.Read(ref _started);
            return new ChunkConsumed(
                chunkId, consumer, answered, _faults?.Where(f => f.Index < answered).ToArray() ?? [], _retried, reason,
                InterruptedItemStarted: started)
            {
                Results = started ? _results : null,
                Deferred = _deferred?.Where(f => f.Index < answered).ToArray(),
            };
        }
    }
}
