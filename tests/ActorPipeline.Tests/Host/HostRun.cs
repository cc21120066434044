using ActorPipeline.Host;

namespace ActorPipeline.Tests.Host;

/// <summary>One run of the host through the entry point <c>Main</c> uses, with stdout, stderr and the exit code captured.</summary>
internal sealed record HostRun(int Exit, string Out, string Err)
{
    /// <summary>Non-empty stdout lines.</summary>
    public string[] Lines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Non-empty stderr lines.</summary>
    public string[] ErrLines => Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The cells of the summary's totals row (produced, succeeded, failed, retried, elapsed, items/s).</summary>
    /// <remarks>Found by the table's header, not by the word: a plain progress line says "produced" too.</remarks>
    public string[] Totals => ErrLines.SkipWhile(l => !l.StartsWith("| produced", StringComparison.Ordinal)).ElementAt(2)
        .Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    public static async Task<HostRun> RunAsync(string[] args, Interrupts? interrupts = null)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        var exit = await HostApp.RunAsync(args, HostConsole.Plain(stdout, stderr, interrupts)).WaitAsync(TestSources.Hang);
        return new HostRun(exit, stdout.ToString(), stderr.ToString());
    }
}
