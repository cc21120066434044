using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;

namespace ActorPipeline.Host;

/// <summary>What a consumer of an ingest run does with a block: count its lines, give each line a level, and count the
/// lines <c>--grep</c> matches — searching the whole block at once, and counting a matching line once, as grep does.</summary>
internal sealed class LineCounter(Regex? pattern)
{
    // A pattern without any of these is a literal: it matches its own text, and no line break.
    private static readonly SearchValues<char> RegexSyntax = SearchValues.Create("\\^$.|?*+()[]{}\n\r");

    // A literal pattern in UTF-8: found in a block's bytes without decoding them, as grep does with a fixed string.
    private readonly byte[]? _literal = pattern is not null && IsLiteral(pattern.ToString()) ? Encoding.UTF8.GetBytes(pattern.ToString()) : null;

    /// <summary>The pattern, made to search a block of many lines: <c>^</c> and <c>$</c> match at every line's start and end.</summary>
    public static Regex Compile(string pattern) =>
        new(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | RegexOptions.Multiline);

    /// <summary>Whether <paramref name="pattern"/> is plain text, with no regular-expression syntax.</summary>
    public static bool IsLiteral(string pattern) => pattern.Length > 0 && pattern.AsSpan().IndexOfAny(RegexSyntax) < 0;

    /// <summary>Counts <paramref name="block"/>, gives its buffer back to the pool, and returns the counts, which the
    /// pipeline delivers to <see cref="BlockCounts.AddToFile"/>.</summary>
    public BlockCounts Count(LogBlock block)
    {
        var bytes = block.Buffer.AsSpan(0, block.Length);
        var levels = new long[LogLevels.Names.Length];
        var lines = block.Cut ? 0 : bytes.Count((byte)'\n');
        // Every line has a level: those ending in a newline, and the last one of the file if it has none.
        LogLevels.ClassifyLines(bytes, levels);

        var matches = pattern is null ? 0 : _literal is not null ? LiteralMatches(_literal, bytes, block.Cut) : Matches(pattern, bytes, block.Cut);
        ArrayPool<byte>.Shared.Return(block.Buffer);
        return new BlockCounts(block.File, lines, levels, matches) { Offset = block.Offset };
    }

    // A literal's lines are found in the bytes: a valid UTF-8 needle (it begins with a lead byte or ASCII) occurs in the
    // bytes exactly where it occurs in their decoded text, so this counts what the regex would, without decoding.
    private static long LiteralMatches(byte[] needle, ReadOnlySpan<byte> bytes, bool cut)
    {
        var last = !cut && bytes.Length > 0 && bytes[^1] == '\n' ? bytes.Length - 1 : bytes.Length;
        long count = 0;
        for (var position = 0; position < last;)
        {
            var found = bytes[position..last].IndexOf(needle);
            if (found < 0)
                break;
            count++;
            var newline = bytes[(position + found)..].IndexOf((byte)'\n');
            if (newline < 0)
                break;
            position += found + newline + 1;
        }

        return count;
    }

    // Lines are bytes; the pattern sees them decoded as UTF-8 (an invalid byte reads as U+FFFD). The block is searched
    // as a whole; a line counts once, however often it matches, and the search goes on at the next line. A match that
    // runs across a newline (a pattern such as \s can) says nothing of its line alone: that line is searched by itself.
    private static long Matches(Regex pattern, ReadOnlySpan<byte> bytes, bool cut)
    {
        var rented = ArrayPool<char>.Shared.Rent(Encoding.UTF8.GetMaxCharCount(bytes.Length));
        try
        {
            var chars = rented.AsSpan(0, Encoding.UTF8.GetChars(bytes, rented));
            // Where the last line ends: at the block's final newline, or at its end when the block ends inside a line
            // (the file's last, or a cut one). A match after that — the empty "line" after the final newline — is none.
            var last = !cut && chars.Length > 0 && chars[^1] == '\n' ? chars.Length - 1 : chars.Length;
            long count = 0;
            for (var position = 0; position <= last;)
            {
                var found = pattern.EnumerateMatches(chars, position);
                if (!found.MoveNext() || found.Current.Index > last)
                    break;
                var (index, length) = (found.Current.Index, found.Current.Length);
                var lineStart = chars[..index].LastIndexOf('\n') + 1;
                var newline = chars[index..].IndexOf('\n');
                var lineEnd = newline < 0 ? chars.Length : index + newline;
                if (index + length <= lineEnd || pattern.IsMatch(chars[lineStart..lineEnd]))
                    count++;
                position = lineEnd + 1;
            }

            return count;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }
}

/// <summary>What a consumer counted in one block of <paramref name="File"/>.</summary>
internal sealed record BlockCounts(LogFile File, long Lines, long[] Levels, long Matches)
{
    /// <summary>Where the block counted starts in its file (decompressed): with the file, it names the block.</summary>
    public long Offset { get; init; }

    /// <summary>Adds the counts to their file's.</summary>
    public static void AddToFile(BlockCounts counts) => counts.File.Add(counts.Lines, counts.Levels, counts.Matches);
}
