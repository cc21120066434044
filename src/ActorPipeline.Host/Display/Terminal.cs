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

    /// <summary>Spectre.Console writing terminal output (ANSI, colours, the terminal's width) into <paramref name="writer"/>.</summary>
    public static IAnsiConsole ForTerminal(TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.Standard,
            Interactive = InteractionSupport.Yes,
            Out = new AnsiConsoleOutput(writer),
        });
        // Without a size to be had (0, or no terminal at all) Spectre's defaults (80 × 24) stay.
        try
        {
            if (Console.WindowWidth > 0)
                console.Profile.Width = Console.WindowWidth;
            if (Console.WindowHeight > 0)
                console.Profile.Height = Console.WindowHeight;
        }
        catch (IOException)
        {
        }

        return console;
    }

    /// <summary>The border of tables: box drawing on a terminal, ASCII in files.</summary>
    public static TableBorder Border(bool live) => live ? TableBorder.Rounded : TableBorder.Ascii;
}
