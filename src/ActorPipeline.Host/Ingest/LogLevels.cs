using System.Buffers;
using System.Text;

namespace ActorPipeline.Host;

/// <summary>The level of a log line: its first whole word, case-insensitive, that names one; <c>other</c> when none does.</summary>
/// <remarks>
/// Words are runs of ASCII letters, digits, <c>_</c> and non-ASCII bytes, so <c>[ERROR]</c> and <c>level=warn</c> are
/// levels and <c>ERRORS</c> or <c>INFO2</c> are not. Lines are classified as bytes; they need not be valid UTF-8.
/// </remarks>
internal static class LogLevels
{
    /// <summary>The level names in report order; <see cref="Other"/> is last.</summary>
    public static readonly string[] Names = ["trace", "debug", "info", "warn", "error", "fatal", "other"];

    /// <summary>The index of <c>other</c>.</summary>
    public const int Other = 6;

    // Every way a level word can be written, found in a whole block at once; whether it is a whole word is checked after.
    private static readonly SearchValues<string> LevelWords = SearchValues.Create(
        ["trace", "debug", "info", "warn", "warning", "error", "fatal", "critical"], StringComparison.OrdinalIgnoreCase);

    /// <summary>Adds to <paramref name="levels"/> the level of every line of <paramref name="block"/>: the lines ending in a
    /// newline, and a last one without.</summary>
    /// <remarks>
    /// One vectorized search through the block finds where level words are, instead of a look at every word of every
    /// line (most lines of a log name their level early, but lines with none were read to their end, word by word).
    /// The block is read as Latin-1, one char per byte, so positions stay those of the bytes.
    /// </remarks>
    public static void ClassifyLines(ReadOnlySpan<byte> block, Span<long> levels)
    {
        var rented = ArrayPool<char>.Shared.Rent(block.Length);
        try
        {
            var text = rented.AsSpan(0, Latin1.GetChars(block, rented));
            var lines = (long)block.Count((byte)'\n') + (block.Length > 0 && block[^1] != '\n' ? 1 : 0);
            var classified = 0L;
            var position = 0;
            while (position < text.Length)
            {
                var found = text[position..].IndexOfAny(LevelWords);
                if (found < 0)
                    break;
                var start = position + found;
                var level = WholeWordAt(text, start);
                if (level == Other)
                {
                    position = start + 1;
                    continue;
                }

                // The first level word of this line decides; the search goes on at the next line.
                levels[level]++;
                classified++;
                var newline = text[start..].IndexOf('\n');
                position = newline < 0 ? text.Length : start + newline + 1;
            }

            levels[Other] += lines - classified;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    private static readonly Encoding Latin1 = Encoding.Latin1;

    // The level of the word that starts at `start`, if it is a whole word; Other otherwise.
    private static int WholeWordAt(ReadOnlySpan<char> text, int start)
    {
        if (start > 0 && IsWord(text[start - 1]))
            return Other;
        var end = start;
        while (end < text.Length && IsWord(text[end]))
            end++;
        return end - start is 4 or 5 or 7 or 8 ? Level(text[start..end]) : Other;
    }

    private static bool IsWord(char c) => c >= 0x80 || c == '_' || char.IsAsciiLetterOrDigit(c);

    private static int Level(ReadOnlySpan<char> word) => word.Length switch
    {
        4 when word.Equals("info", StringComparison.OrdinalIgnoreCase) => 2,
        4 when word.Equals("warn", StringComparison.OrdinalIgnoreCase) => 3,
        5 when word.Equals("trace", StringComparison.OrdinalIgnoreCase) => 0,
        5 when word.Equals("debug", StringComparison.OrdinalIgnoreCase) => 1,
        5 when word.Equals("error", StringComparison.OrdinalIgnoreCase) => 4,
        5 when word.Equals("fatal", StringComparison.OrdinalIgnoreCase) => 5,
        7 when word.Equals("warning", StringComparison.OrdinalIgnoreCase) => 3,
        8 when word.Equals("critical", StringComparison.OrdinalIgnoreCase) => 5,
        _ => Other,
    };

}
