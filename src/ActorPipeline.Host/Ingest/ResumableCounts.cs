using System.Text.Json;

namespace ActorPipeline.Host;

/// <summary>An ingest run with --state: each block's counts and each file's own totals (bytes, long lines, the lines of cut
/// lines) logged beside the state as they come, and added up at the end with what the earlier runs logged.</summary>
/// <remarks>
/// A file's own totals are the reader's, known once it has read the file to its end; a resumed run reads again, from its
/// start, the first file whose totals no earlier run logged (passing over its blocks before the resume position), so
/// every file's totals come from one whole reading. Blocks are logged by position, the last line of each winning: a block
/// counted again after a crash is counted once.
/// </remarks>
internal sealed class ResumableCounts(LogFile[] files, ResultLog log)
{
    private readonly Dictionary<LogFile, int> _index = files.Select((file, i) => (file, i)).ToDictionary(p => p.file, p => p.i);
    private readonly Dictionary<string, string> _entries = new(log.Earlier, StringComparer.Ordinal);
    private readonly HashSet<int> _read = [];

    /// <summary>The file a run resuming at <paramref name="from"/> reads first.</summary>
    public int Start(ActorPipeline.Persistence.ResumePoint<BlockAt> from)
    {
        var firstUncounted = Enumerable.Range(0, files.Length).FirstOrDefault(i => !_entries.ContainsKey(FileKey(i)), files.Length);
        return Math.Min(from.HasPosition ? from.Position.File : 0, firstUncounted);
    }

    /// <summary>The result callback: a block's counts, logged before the pipeline counts the block as finished.</summary>
    public void Add(BlockCounts counts)
    {
        var key = $"b:{_index[counts.File]}:{counts.Offset}";
        var value = JsonSerializer.Serialize(new Block(counts.Lines, counts.Levels, counts.Matches));
        log.Add(key, value);
        _entries[key] = value;
    }

    /// <summary>The reader read file <paramref name="index"/> to its end (on the producer's thread).</summary>
    public void FileRead(int index)
    {
        var file = files[index];
        log.Add(FileKey(index), JsonSerializer.Serialize(new Totals(file.Bytes, file.Lines, file.LongLines, file.Error?.Message)));
        lock (_read)
            _read.Add(index);
    }

    /// <summary>Adds every block's counts to its file, and the earlier runs' totals to the files this run did not read.</summary>
    public void AddUp()
    {
        foreach (var (key, value) in _entries)
        {
            var parts = key.Split(':');
            var file = files[int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)];
            if (parts[0] == "b")
            {
                var block = JsonSerializer.Deserialize<Block>(value)!;
                file.Add(block.Lines, block.Levels, block.Matches);
            }
            else if (!_read.Contains(int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)))
            {
                var totals = JsonSerializer.Deserialize<Totals>(value)!;
                file.Restore(totals.Bytes, totals.Lines, totals.LongLines, totals.Error);
            }
        }
    }

    private static string FileKey(int index) => $"f:{index}";

    private sealed record Block(long Lines, long[] Levels, long Matches);

    private sealed record Totals(long Bytes, long Lines, long LongLines, string? Error);
}
