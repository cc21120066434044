using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using ActorPipeline.Persistence;

namespace ActorPipeline.Host;

/// <summary>One file of an ingest run and its counts: bytes written by its reader, the rest by the consumers, block by block.</summary>
internal sealed class LogFile
{
    // Blocks of about a megabyte: few enough that the pipeline's cost per item vanishes, many enough for every core.
    private const int BlockSize = 1 << 20;

    // The files of this process's runs, by id: counts that come back from a worker name their file by its id.
    private static readonly ConcurrentDictionary<int, LogFile> Files = new();
    private static int _lastId;

    private readonly long[] _levels = new long[LogLevels.Names.Length];
    private long _lines;
    private long _bytes;
    private long _matches;
    private long _longLines;

    /// <summary>A file of a run in this process, found again by its <see cref="Id"/> until <see cref="Forget"/>.</summary>
    public LogFile(string path)
        : this(path, Interlocked.Increment(ref _lastId)) => Files[Id] = this;

    private LogFile(string path, int id) => (Path, Id) = (path, id);

    public string Path { get; }

    /// <summary>The file's number in the process that reads it.</summary>
    public int Id { get; }

    /// <summary>The <c>--grep</c> pattern its lines are searched for, if any.</summary>
    public string? Pattern { get; init; }

    /// <summary>A file that another process reads, known here by its id: what a worker's handler counts blocks of.</summary>
    public static LogFile Remote(string path, int id, string? pattern) => new(path, id) { Pattern = pattern };

    /// <summary>The file of this process with <paramref name="id"/>, if its run has not forgotten it.</summary>
    public static LogFile? Find(int id) => Files.TryGetValue(id, out var file) ? file : null;

    /// <summary>Its run is over: counts that arrive for it now are refused.</summary>
    public void Forget() => Files.TryRemove(Id, out _);

    /// <summary>Newline characters, as <c>wc -l</c> counts them (a last line without one is still classified and searched).</summary>
    public long Lines => Volatile.Read(ref _lines);

    /// <summary>Bytes read, after decompression.</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary>Lines matching <c>--grep</c>.</summary>
    public long Matches => Volatile.Read(ref _matches);

    /// <summary>Lines longer than the longest classified and searched whole (<c>--max-line-bytes</c>).</summary>
    public long LongLines => Volatile.Read(ref _longLines);

    /// <summary>Why the file could not be read to its end, if it could not.</summary>
    public Exception? Error { get; private set; }

    public long Level(int level) => Volatile.Read(ref _levels[level]);

    /// <summary>Adds what a consumer counted in one block.</summary>
    public void Add(long lines, ReadOnlySpan<long> levels, long matches)
    {
        Interlocked.Add(ref _lines, lines);
        for (var i = 0; i < levels.Length; i++)
        {
            if (levels[i] != 0)
                Interlocked.Add(ref _levels[i], levels[i]);
        }

        if (matches != 0)
            Interlocked.Add(ref _matches, matches);
    }

    /// <summary>
    /// Streams the blocks of the files taken from <paramref name="files"/>, one file after another, until none is left:
    /// each producer of the job runs one of these, so <c>--producers</c> files are read at once. A file that cannot be
    /// read to its end keeps what was read, is reported through <paramref name="failed"/>, and the next file is read.
    /// </summary>
    /// <remarks>
    /// A producer never waits for another: it holds the credit of the item it is about to yield, and producers that
    /// waited on each other could then hold all of it and stop the pipeline.
    /// </remarks>
    public static async IAsyncEnumerable<LogBlock> ReadAsync(
        ConcurrentQueue<LogFile> files, int maxLineBytes, Action<LogFile, string> report, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested && files.TryDequeue(out var file))
        {
            foreach (var block in file.ReadToError(maxLineBytes, report, cancellationToken))
                yield return block;
        }

        await Task.CompletedTask;
    }

    // The file's blocks until it ends or cannot be read further: what was read stays, and the error is kept and reported.
    private IEnumerable<LogBlock> ReadToError(int maxLineBytes, Action<LogFile, string> report, CancellationToken cancellationToken)
    {
        using var blocks = ReadBlocks(maxLineBytes, report, cancellationToken).GetEnumerator();
        while (true)
        {
            try
            {
                if (!blocks.MoveNext())
                    yield break;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Error = e;
                report(this, e.Message);
                yield break;
            }

            yield return blocks.Current;
        }
    }

    /// <summary>What an earlier run's reader counted in this file, which this run does not read again.</summary>
    public void Restore(long bytes, long lines, long longLines, string? error)
    {
        Interlocked.Add(ref _bytes, bytes);
        Interlocked.Add(ref _lines, lines);
        Interlocked.Add(ref _longLines, longLines);
        if (error is not null)
            Error = new IOException(error);
    }

    /// <summary>
    /// The blocks of <paramref name="files"/> from the one at <paramref name="start"/> on, one file after another, each
    /// with its position, for a resumable run; blocks before <paramref name="from"/> are read (their file's totals need
    /// them) but not yielded. <paramref name="fileRead"/> is called with each file's index once it is read to its end.
    /// </summary>
    public static async IAsyncEnumerable<(LogBlock Block, BlockAt Position)> ReadInOrderAsync(
        LogFile[] files, int start, ResumePoint<BlockAt> from, int maxLineBytes, Action<LogFile, string> report, Action<int> fileRead,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (var index = start; index < files.Length && !cancellationToken.IsCancellationRequested; index++)
        {
            foreach (var block in files[index].ReadToError(maxLineBytes, report, cancellationToken))
            {
                var at = new BlockAt(index, block.Offset);
                if (from.HasPosition && at.CompareTo(from.Position) < 0)
                {
                    ArrayPool<byte>.Shared.Return(block.Buffer);
                    continue;
                }

                yield return (block, at);
            }

            if (!cancellationToken.IsCancellationRequested)
                fileRead(index);
        }

        await Task.CompletedTask;
    }

    /// <summary>
    /// The file as blocks of whole lines, about a megabyte each, in buffers from the shared pool that the consumer
    /// returns: memory stays flat whatever the file's size. <c>.gz</c> files are read decompressed. A line longer than a
    /// block gets a larger buffer, up to <paramref name="maxLineBytes"/>; a line longer still is handed over cut to
    /// that length (<see cref="LogBlock.Cut"/>), counted in full, and reported.
    /// </summary>
    /// <remarks>
    /// Reads are synchronous: an asynchronous read of a plain file is a thread-pool hand-off per block, which made
    /// reading about three times slower (files are read from the page cache or a local disk).
    /// </remarks>
    private IEnumerable<LogBlock> ReadBlocks(int maxLineBytes, Action<LogFile, string> report, CancellationToken cancellationToken)
    {
        using var file = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 0, FileOptions.SequentialScan);
        using var stream = Path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
            ? new GZipStream(file, CompressionMode.Decompress)
            : (Stream)file;
        // The pool may hand out a larger array than asked for: `size` is how much of it a block uses.
        var blockSize = Math.Min(BlockSize, maxLineBytes);
        var size = blockSize;
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        var filled = 0;      // bytes of lines not handed over yet, at the start of the buffer
        var skipping = false; // inside a line that was cut: its rest is counted, not kept
        long read = 0;        // bytes read so far: the buffer's first byte is at read - filled
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (filled == size)
                {
                    // The buffer holds part of one line only: a larger one, or the line is cut here.
                    if (size < maxLineBytes)
                    {
                        size = (int)Math.Min(2L * size, maxLineBytes);
                        var larger = ArrayPool<byte>.Shared.Rent(size);
                        buffer.AsSpan(0, filled).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }
                    else
                    {
                        Interlocked.Increment(ref _longLines);
                        report(this, $"a line is longer than --max-line-bytes ({maxLineBytes:N0} bytes); only its first {maxLineBytes:N0} bytes were classified and searched");
                        var cut = new LogBlock(this, buffer, maxLineBytes, Cut: true) { Offset = read - filled };
                        size = blockSize;
                        buffer = ArrayPool<byte>.Shared.Rent(size);
                        (filled, skipping) = (0, true);
                        yield return cut;
                    }
                }

                var got = stream.ReadAtLeast(buffer.AsSpan(filled, size - filled), size - filled, throwOnEndOfStream: false);
                if (got == 0)
                    break;
                read += got;
                Interlocked.Add(ref _bytes, got);
                if (skipping)
                {
                    var end = buffer.AsSpan(0, got).IndexOf((byte)'\n');
                    if (end < 0)
                        continue;
                    Interlocked.Increment(ref _lines);
                    skipping = false;
                    buffer.AsSpan(end + 1, got - end - 1).CopyTo(buffer);
                    filled = got - end - 1;
                }
                else
                {
                    filled += got;
                }

                var last = buffer.AsSpan(0, filled).LastIndexOf((byte)'\n');
                if (last < 0)
                    continue;
                // The unfinished line moves to the next buffer: a block's size again, unless the line is already longer.
                var tail = filled - last - 1;
                if (tail < blockSize)
                    size = blockSize;
                var next = ArrayPool<byte>.Shared.Rent(size);
                buffer.AsSpan(last + 1, tail).CopyTo(next);
                var block = new LogBlock(this, buffer, last + 1, Cut: false) { Offset = read - filled };
                (buffer, filled) = (next, tail);
                yield return block;
            }

            if (filled > 0 && !skipping)
            {
                var rest = new LogBlock(this, buffer, filled, Cut: false) { Offset = read - filled };
                buffer = null!;
                yield return rest;
            }
        }
        finally
        {
            if (buffer is not null)
                ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>Where a block is in a resumable run's input: its file's number among the run's files, and its offset there.</summary>
internal readonly record struct BlockAt(int File, long Offset) : IComparable<BlockAt>
{
    public int CompareTo(BlockAt other) => File != other.File ? File.CompareTo(other.File) : Offset.CompareTo(other.Offset);
}

/// <summary>The item of an ingest run: whole lines of one file, <paramref name="Length"/> bytes of <paramref name="Buffer"/>;
/// when <paramref name="Cut"/>, the first part of one line that was too long, without its newline.</summary>
internal sealed record LogBlock(LogFile File, byte[] Buffer, int Length, bool Cut)
{
    /// <summary>Where the block starts in its file (decompressed).</summary>
    public long Offset { get; init; }
}
