using System.Text.Json;
using System.Text.Json.Nodes;
using ActorPipeline.Internal;

namespace ActorPipeline.Persistence.Internal;

/// <summary>One resumable source's progress in one run: which of its items finished, kept so that it can be written as
/// where to resume and what to pass over.</summary>
internal interface ISourceProgress
{
    /// <summary>The <paramref name="count"/> items the source's producer sent from <paramref name="seq"/> on finished.</summary>
    void Finished(long seq, int count);

    /// <summary>The progress now, to be written as the state for the next run (the JSON is made when called, outside the lock).</summary>
    Func<JsonObject> Snapshot();
}

/// <summary>A resumable source's progress: items are numbered as the source yields them in this run (<c>n</c>, passed-over
/// ones included) and as its producer sends them (<c>seq</c>, the items that enter the pipeline).</summary>
/// <remarks>
/// Finished items make spans of consecutive <c>n</c>, each with the positions at its ends; unfinished ones are held with
/// their position until they finish, in segments of consecutive seqs. Both are bounded by the capacity (a span lies
/// between unfinished items, a segment holds one), not by the run's length. Written, the first span that starts at the run's first item becomes where the next run resumes (its
/// last position, which that run passes over), the rest what it passes over; spans an earlier run left and this one has not
/// reached yet are kept. The producer thread adds items, the supervisor finishes them, the journal writes: one lock.
/// </remarks>
internal sealed class SourceProgress<TPosition> : ISourceProgress
{
    private readonly Lock _gate = new();
    private readonly string _name;
    private readonly IComparer<TPosition> _order;
    private readonly PipelineCounters _counters;
    // Unfinished items by seq, in segments of SegmentSize: an array write per item rather than a dictionary entry; a
    // segment goes once all its items finished, so one slow item keeps one segment, not everything after it.
    private const int SegmentBits = 8;
    private const int SegmentSize = 1 << SegmentBits;
    private readonly Dictionary<long, Segment> _segments = new();
    private Segment? _taking;
    private Segment? _spare;
    private long _unfinished;
    private readonly List<Span> _spans = [];
    private readonly (TPosition Low, TPosition High)[] _earlier;
    private readonly bool _hasMax;
    private readonly TPosition _max;
    private int _earlierAt;
    private long _n;
    private long _seq;
    private bool _hasLast;
    private TPosition _last = default!;
    private bool _sourceEnded;

    public SourceProgress(string name, IComparer<TPosition> order, PipelineCounters counters, SavedSource? saved)
    {
        _name = name;
        _order = order;
        _counters = counters;
        Start = saved?.From is { } from ? ResumePoint<TPosition>.At(Read(from)) : ResumePoint<TPosition>.Beginning;
        _earlier = Merge(saved?.Done.Select(d => (Read(d.Low), Read(d.High))) ?? []);
        (_hasMax, _max) = saved?.Max is { } max ? (true, Read(max)) : (false, default!);
        Ended = saved?.Ended ?? false;
    }

    /// <summary>Where the source starts in this run.</summary>
    public ResumePoint<TPosition> Start { get; }

    /// <summary>Whether an earlier run finished every item of the source: it is not run again.</summary>
    public bool Ended { get; }

    /// <summary>The source yielded an item at <paramref name="position"/>: true if it enters the pipeline, false if an
    /// earlier run finished it (it is passed over).</summary>
    public bool Take(TPosition position)
    {
        lock (_gate)
        {
            if (_hasLast && _order.Compare(position, _last) <= 0)
                throw new InvalidOperationException(
                    $"Resumable source '{_name}' yielded position {position} after {_last}: its positions must increase, item by item.");
            (_hasLast, _last) = (true, position);
            var n = _n++;
            if (DoneEarlier(position))
            {
                AddFinished(n, n, position, position);
                return false;
            }

            if (_hasMax && _order.Compare(position, _max) <= 0)
                _counters.AddRecovered();
            var seq = _seq++;
            var slot = (int)(seq & (SegmentSize - 1));
            if (slot == 0)
            {
                _taking = _spare ?? new Segment();
                _spare = null;
                _taking.Live = 0;
                _segments.Add(seq >> SegmentBits, _taking);
            }

            _taking!.N[slot] = n;
            _taking.Positions[slot] = position;
            _taking.Live++;
            _unfinished++;
            return true;
        }
    }

    /// <summary>The source has no more items.</summary>
    public void SourceEnded()
    {
        lock (_gate)
            _sourceEnded = true;
    }

    public void Finished(long seq, int count)
    {
        lock (_gate)
        {
            // Items that follow each other in the source finish as one span.
            long from = -1, to = -1;
            TPosition low = default!, high = default!;
            Segment? segment = null;
            for (var s = seq; s < seq + count; s++)
            {
                if (segment is null || (s & (SegmentSize - 1)) == 0)
                    segment = _segments.GetValueOrDefault(s >> SegmentBits);
                if (segment is null)
                    continue;
                var slot = (int)(s & (SegmentSize - 1));
                var (n, position) = (segment.N[slot], segment.Positions[slot]);
                if (--segment.Live == 0 && (segment != _taking || _seq - (s - slot) == SegmentSize))
                    Drop(s >> SegmentBits, segment);
                _unfinished--;
                if (from >= 0 && n == to + 1)
                {
                    (to, high) = (n, position);
                    continue;
                }

                if (from >= 0)
                    AddFinished(from, to, low, high);
                (from, to, low, high) = (n, n, position, position);
            }

            if (from >= 0)
                AddFinished(from, to, low, high);
        }
    }

    // A segment whose items all finished: kept as the spare for the next, its positions cleared for the collector.
    private void Drop(long key, Segment segment)
    {
        _segments.Remove(key);
        if (segment == _taking)
            _taking = null;
        Array.Clear(segment.Positions);
        _spare = segment;
    }

    public Func<JsonObject> Snapshot()
    {
        lock (_gate)
        {
            // Copied here, written to JSON by the caller outside the lock: the producer and the supervisor do not wait for it.
            var spans = _spans.ToArray();
            var earlier = _earlier[_earlierAt..];
            var (hasLast, last, ended) = (_hasLast, _last, _sourceEnded && _unfinished == 0);
            return () => Write(spans, earlier, hasLast, last, ended);
        }
    }

    private JsonObject Write(Span[] spans, (TPosition Low, TPosition High)[] earlier, bool hasLast, TPosition last, bool ended)
    {
        var done = new JsonArray();
        JsonNode? from;
        var first = 0;
        if (spans.Length > 0 && spans[0].From == 0)
        {
            // Everything from the run's first item to here finished: the next run resumes at the last of them.
            from = Node(spans[0].High);
            done.Add(Pair(spans[0].High, spans[0].High));
            first = 1;
        }
        else
        {
            from = Start.HasPosition ? Node(Start.Position) : null;
        }

        for (var i = first; i < spans.Length; i++)
            done.Add(Pair(spans[i].Low, spans[i].High));

        // What an earlier run finished beyond what this one has read stays passed over.
        foreach (var (low, high) in earlier)
            done.Add(Pair(hasLast && _order.Compare(low, last) <= 0 ? last : low, high));

        var max = hasLast && (!_hasMax || _order.Compare(last, _max) > 0) ? last : _max;
        return new JsonObject
        {
            ["from"] = from,
            ["done"] = done,
            ["max"] = hasLast || _hasMax ? Node(max) : null,
            ["ended"] = ended,
        };
    }

    // The earlier runs' spans are in position order; positions come in increasing order, so a cursor does.
    private bool DoneEarlier(TPosition position)
    {
        while (_earlierAt < _earlier.Length && _order.Compare(_earlier[_earlierAt].High, position) < 0)
            _earlierAt++;
        return _earlierAt < _earlier.Length && _order.Compare(_earlier[_earlierAt].Low, position) <= 0;
    }

    // Items from to to (by n), all unfinished until now, finished: a span of their own, or joined to its neighbours.
    private void AddFinished(long from, long to, TPosition low, TPosition high)
    {
        // The first span that starts after them; its left neighbour may end just before them.
        int lo = 0, hi = _spans.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_spans[mid].From > from)
                hi = mid;
            else
                lo = mid + 1;
        }

        var joinsLeft = lo > 0 && _spans[lo - 1].To == from - 1;
        var joinsRight = lo < _spans.Count && _spans[lo].From == to + 1;
        if (joinsLeft && joinsRight)
        {
            _spans[lo - 1] = _spans[lo - 1] with { To = _spans[lo].To, High = _spans[lo].High };
            _spans.RemoveAt(lo);
        }
        else if (joinsLeft)
        {
            _spans[lo - 1] = _spans[lo - 1] with { To = to, High = high };
        }
        else if (joinsRight)
        {
            _spans[lo] = _spans[lo] with { From = from, Low = low };
        }
        else
        {
            _spans.Insert(lo, new Span(from, to, low, high));
        }
    }

    // Overlapping spans (a partly read one written with the run's last position as its start) become one.
    private (TPosition, TPosition)[] Merge(IEnumerable<(TPosition Low, TPosition High)> spans)
    {
        var merged = new List<(TPosition Low, TPosition High)>();
        foreach (var span in spans.OrderBy(s => s.Low, _order))
        {
            if (merged.Count > 0 && _order.Compare(span.Low, merged[^1].High) <= 0)
            {
                if (_order.Compare(span.High, merged[^1].High) > 0)
                    merged[^1] = (merged[^1].Low, span.High);
            }
            else
            {
                merged.Add(span);
            }
        }

        return merged.ToArray();
    }

    private TPosition Read(JsonNode node)
    {
        try
        {
            return node.Deserialize<TPosition>()!;
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
        {
            throw new DurableStateException(
                $"Resumable source '{_name}': a position in the state ({node.ToJsonString()}) is not a {typeof(TPosition).Name}; " +
                "the state was written by a pipeline whose source had positions of another type.", e);
        }
    }

    private static JsonNode? Node(TPosition position) => JsonSerializer.SerializeToNode(position);

    private static JsonArray Pair(TPosition low, TPosition high) => new(Node(low), Node(high));

    /// <summary>Items <paramref name="From"/> to <paramref name="To"/> (by <c>n</c>) finished, at positions <paramref name="Low"/> to <paramref name="High"/>.</summary>
    private readonly record struct Span(long From, long To, TPosition Low, TPosition High);

    /// <summary>SegmentSize items by seq: each one's <c>n</c> and position, and how many are unfinished.</summary>
    private sealed class Segment
    {
        public long[] N { get; } = new long[SegmentSize];

        public TPosition[] Positions { get; } = new TPosition[SegmentSize];

        public int Live { get; set; }
    }
}
