using Akka.Actor;

namespace ActorPipeline.Internal;

/// <summary>Items waiting for a routee: a run of one chunk's array that were tried equally often.</summary>
/// <param name="Items">The array the run is part of.</param>
/// <param name="From">The run's first index in <paramref name="Items"/>.</param>
/// <param name="Count">How many items the run holds.</param>
/// <param name="Attempt">Tries each item of the run has had (0 the first time).</param>
/// <param name="Redeliveries">Times each item was sent again because the consumer holding it was lost.</param>
/// <param name="FreeResends">Times the run was given back unseen by any handler.</param>
/// <param name="Sent">Whether the items went to a consumer before (they count as handed over once).</param>
/// <param name="Arrived">When the run came from the queue (a <see cref="System.Diagnostics.Stopwatch"/> timestamp; kept
/// only for batch handlers, whose batches wait up to their max-wait to fill).</param>
internal readonly record struct WorkRun<T>(T[] Items, int From, int Count, int Attempt, int Redeliveries, int FreeResends, bool Sent = false, long Arrived = 0)
{
    /// <summary>The publish spans the run's items came with, when a listener traces the pipeline.</summary>
    public System.Diagnostics.ActivityContext[]? Traces { get; init; }

    /// <summary>The place of <c>Items[0]</c> in the order items entered the pipeline (counted from 0).</summary>
    public long Position { get; init; }

    /// <summary>The place of each of <c>Items</c>, when they are not consecutive (a chunk picked by ordering key); else null.</summary>
    public long[]? Positions { get; init; }

    /// <summary>The place of the run's item at <paramref name="index"/> in the order items entered the pipeline.</summary>
    public long PositionOf(int index) => Positions is { } places ? places[From + index] : Position + From + index;

    /// <summary>The run's items as a list a consumer reads, without copying.</summary>
    public IReadOnlyList<T> AsList() => From == 0 && Count == Items.Length ? Items : new ArraySegment<T>(Items, From, Count);

    /// <summary>The item at <paramref name="index"/> of the run.</summary>
    public T this[int index] => Items[From + index];

    /// <summary>The items from <paramref name="offset"/> on, <paramref name="count"/> of them, with the same history.</summary>
    public WorkRun<T> Slice(int offset, int count) => this with { From = From + offset, Count = count };
}

/// <summary>One chunk at one routee: what it holds, since when, and what is known of its progress.</summary>
internal sealed class Assignment<T>(long id, RouteeState<T> routee, WorkRun<T> run, ChunkProgress? progress, long sentAt)
{
    public long Id { get; } = id;

    public RouteeState<T> Routee { get; } = routee;

    public WorkRun<T> Run { get; } = run;

    /// <summary>The routee's own report, item by item, when it runs in this process and is the library's.</summary>
    public ChunkProgress? Progress { get; } = progress;

    /// <summary>The <see cref="System.Diagnostics.Stopwatch"/> timestamp the chunk was sent at.</summary>
    public long SentAt { get; } = sentAt;

    /// <summary>When a routee on another node said it began the chunk; 0 before.</summary>
    public long BegunAt { get; set; }

    /// <summary>Whether it is the oldest chunk its routee holds: the one it works on, and the only one judged by its progress.</summary>
    public bool First { get; private set; }

    /// <summary>When the routee got to the chunk (it became the oldest it holds).</summary>
    public long FirstAt { get; private set; }

    // The sweep's own: the progress it saw last, and when that changed.
    public long SeenLife { get; set; } = -1;

    public long SeenAt { get; set; } = sentAt;

    /// <summary>The chunk becomes the oldest its routee holds, at <paramref name="now"/>: its deadlines count from here.</summary>
    public void BecomeFirst(long now)
    {
        if (First)
            return;
        First = true;
        FirstAt = now;
        SeenAt = Math.Max(SeenAt, now);
    }
}

/// <summary>A routee of the pool as the dispatch stage knows it: the chunks it holds, and whether it may get more.</summary>
/// <remarks>A routee of the library's holds up to two chunks, the one it works on and the next, so that it never waits
/// for the stream to hear its answer; a consumer of the application's own holds one, and so does every routee under
/// ordering keys. Either asks for more by answering.</remarks>
internal sealed class RouteeState<T>(IActorRef actor, bool twoDeep, bool reportsProgress)
{
    public IActorRef Actor { get; } = actor;

    /// <summary>A routee of the library's in this process: it reports its progress item by item.</summary>
    public bool ReportsProgress { get; } = reportsProgress;

    /// <summary>The most chunks it holds at once.</summary>
    public int Depth { get; } = twoDeep ? 2 : 1;

    /// <summary>The chunks it holds, oldest (the one it works on) first.</summary>
    public List<Assignment<T>> Held { get; } = new(2);

    /// <summary>Lost, stopped or taken for stuck: it gets no more work.</summary>
    public bool Gone { get; set; }
}
