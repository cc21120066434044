using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace ActorPipeline.Tests.Host;

/// <summary>Runs the README's ingest and hash examples (on the files in docs/examples) and compares their output.</summary>
public sealed partial class ReadmeHostExamplesSpec
{
    [Theory]
    [InlineData("ingest")]
    [InlineData("hash")]
    public async Task The_readme_shows_what_the_command_prints(string command)
    {
        var root = RepositoryRoot();
        var readme = (await File.ReadAllTextAsync(Path.Combine(root, "README.md"))).ReplaceLineEndings("\n");
        var example = Examples().Matches(readme).Single(m => m.Groups["args"].Value.StartsWith(command + " ", StringComparison.Ordinal));
        // The README runs from the repository root; the spec names the same files by absolute path.
        var args = Arguments(example.Groups["args"].Value).Select(a => a.StartsWith("docs/", StringComparison.Ordinal) ? Path.Combine(root, a) : a).ToArray();

        var run = await HostRun.RunAsync(args);

        Assert.Equal(0, run.Exit);
        Assert.Equal(Cells(example.Groups["output"].Value), Cells(run.Out.Replace(root + "/", "")));
    }

    // Table rows compared cell by cell, since absolute paths widen the columns.
    private static string[][] Cells(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Where(l => !l.StartsWith('+') && !l.StartsWith("|-", StringComparison.Ordinal))
        .Select(l => l.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        .ToArray();

    // Words of a shell command line, with 'single-quoted' words unquoted.
    private static IEnumerable<string> Arguments(string line) =>
        Words().Matches(line).Select(m => m.Groups["quoted"].Success ? m.Groups["quoted"].Value : m.Value);

    [GeneratedRegex(@"^\$ dotnet run --project src/ActorPipeline\.Host -- (?<args>[^\n]*)\n(?<output>.*?)\n```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Examples();

    [GeneratedRegex(@"'(?<quoted>[^']*)'|\S+")]
    private static partial Regex Words();

    private static string SourcePath([CallerFilePath] string path = "") => path;

    private static string RepositoryRoot() =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(SourcePath())!, "..", "..", ".."));
}
