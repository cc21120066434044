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

    public static int Classify(ReadOnlySpan<byte> line)
    {
        var i = 0;
        while (i < line.Length)
        {
            while (i < line.Length && !IsWord(line[i]))
                i++;
            var start = i;
            while (i < line.Length && IsWord(line[i]))
                i++;
            var level = Level(line[start..i]);
            if (level != Other)
                return level;
        }

        return Other;
    }

    private static bool IsWord(byte b) => b >= 0x80 || b == '_' || char.IsAsciiLetterOrDigit((char)b);

    private static int Level(ReadOnlySpan<byte> word) => word.Length switch
    {
        4 when Ascii.EqualsIgnoreCase(word, "info"u8) => 2,
        4 when Ascii.EqualsIgnoreCase(word, "warn"u8) => 3,
        5 when Ascii.EqualsIgnoreCase(word, "trace"u8) => 0,
        5 when Ascii.EqualsIgnoreCase(word, "debug"u8) => 1,
        5 when Ascii.EqualsIgnoreCase(word, "error"u8) => 4,
        5 when Ascii.EqualsIgnoreCase(word, "fatal"u8) => 5,
        7 when Ascii.EqualsIgnoreCase(word, "warning"u8) => 3,
        8 when Ascii.EqualsIgnoreCase(word, "critical"u8) => 5,
        _ => Other,
    };
}
