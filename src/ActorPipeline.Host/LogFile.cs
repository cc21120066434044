using System.Buffers;
using System.IO.Compression;
using System.Runtime.CompilerServices;

namespace ActorPipeline.Host;

/// <summary>One file of an ingest run and its counts, written by its producer (lines, bytes) and the consumers (the rest).</summary>
internal sealed class LogFile(string path)
{
    private readonly long[] _levels = new long[LogLevels.Names.Length];
    private long _lines;
    private long _bytes;
    private long _matches;

    public string Path => path;

    /// <summary>Newline characters, as <c>wc -l</c> counts them (a last line without one is still classified and searched).</summary>
    public long Lines => Volatile.Read(ref _lines);

    /// <summary>Bytes read, after decompression.</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary>Lines matching <c>--grep</c>.</summary>
    public long Matches => Volatile.Read(ref _matches);

    public long Level(int level) => Volatile.Read(ref _levels[level]);

    public void Count(int level, bool matched)
    {
        Interlocked.Increment(ref _levels[level]);
        if (matched)
            Interlocked.Increment(ref _matches);
    }

    /// <summary>
    /// Streams the file's lines (without their <c>\n</c>; a <c>\r</c> stays, as grep keeps it), reading 64 KiB at a time,
    /// so memory does not grow with the file. <c>.gz</c> files are read decompressed. At most as many files as
    /// <paramref name="gate"/> allows are open at once.
    /// </summary>
    public async IAsyncEnumerable<LogLine> ReadLinesAsync(SemaphoreSlim gate, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 0, FileOptions.SequentialScan);
            await using var stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
                ? new GZipStream(file, CompressionMode.Decompress)
                : (Stream)file;
            var buffer = new byte[64 * 1024];
            var partial = new ArrayBufferWriter<byte>();
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                Interlocked.Add(ref _bytes, read);
                var start = 0;
                int newline;
                while ((newline = buffer.AsSpan(start, read - start).IndexOf((byte)'\n')) >= 0)
                {
                    var line = Take(partial, buffer.AsSpan(start, newline));
                    start += newline + 1;
                    Interlocked.Increment(ref _lines);
                    yield return new LogLine(this, line);
                }

                partial.Write(buffer.AsSpan(start, read - start));
            }

            if (partial.WrittenCount > 0)
                yield return new LogLine(this, Take(partial, default));
        }
        finally
        {
            gate.Release();
        }
    }

    // The line made of what was left from earlier reads and `tail`.
    private static byte[] Take(ArrayBufferWriter<byte> partial, ReadOnlySpan<byte> tail)
    {
        if (partial.WrittenCount == 0)
            return tail.ToArray();
        partial.Write(tail);
        var line = partial.WrittenSpan.ToArray();
        partial.ResetWrittenCount();
        return line;
    }
}

/// <summary>One line of a log file: the item of an ingest run.</summary>
internal readonly record struct LogLine(LogFile File, byte[] Text);
