using Spectre.Console;

namespace ActorPipeline.Host;

/// <summary>Spectre.Console over one of the host's writers: colours and live updates on a terminal, plain text otherwise.</summary>
internal static class Terminal
{
    /// <summary>Wide enough that tables of paths are not wrapped when the output is a file.</summary>
    private const int PlainWidth = 200;

    public static IAnsiConsole For(TextWriter writer, bool live)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = live ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = live ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = live ? InteractionSupport.Yes : InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        if (!live)
            console.Profile.Width = PlainWidth;
        return console;
    }

    /// <summary>The border of tables: box drawing on a terminal, ASCII in files.</summary>
    public static TableBorder Border(bool live) => live ? TableBorder.Rounded : TableBorder.Ascii;
}
