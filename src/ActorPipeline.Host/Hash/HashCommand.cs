using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using ActorPipeline.Persistence;
using Akka.Configuration;

namespace ActorPipeline.Host;

/// <summary>SHA-256 of every regular file under some paths, printed as <c>sha256sum</c> prints it, sorted by path.</summary>
internal static class HashCommand
{
    private const string Section = "actor-pipeline-host.hash";

    public static void Configure(RootCommand root, Config config, HostConsole console)
    {
        var flags = new JobOptions(PipelineSettings.Create(config, "hash"), "Producers walking the trees together.", HostConfig.GetInt(config, $"{Section}.producers"));
        var paths = new Argument<string[]>("PATH") { Description = "Files, or directories to walk.", Arity = ArgumentArity.OneOrMore };
        var follow = new Option<bool>("--follow", "-L") { Description = "Follow symbolic links inside the trees (links named as PATH are always followed)." };

        var hash = new Command("hash", "Print the SHA-256 of every regular file under the paths, in sha256sum's format, sorted by path.");
        hash.Arguments.Add(paths);
        flags.AddTo(hash);
        flags.AddStateTo(hash);
        hash.Options.Add(follow);
        hash.SetAction((parsed, _) => RunAsync(config, parsed.GetValue(paths)!, parsed.GetValue(follow), parsed, flags, console));
        root.Subcommands.Add(hash);
    }

    private static async Task<int> RunAsync(Config config, string[] paths, bool follow, ParseResult parsed, JobOptions flags, HostConsole console)
    {
        var walkers = parsed.GetValue(flags.Producers);
        var tree = new FileTree(paths, follow);
        // With --state, the walk is one walker's, in an order a resumed run can go on in, and the sums go to a log beside
        // the state as they come, so that the output holds those of the earlier runs too.
        var state = parsed.GetValue(flags.State) is { } file
            ? new JobState(file, "hash", paths.Select(Path.GetFullPath).Append(follow ? "follow" : "no-follow"))
            : null;
        if (state is { IsDatabase: true })
        {
            await console.Error.WriteLineAsync("error: hash keeps the sums of earlier runs beside its state: give --state a file.");
            return HostApp.BadUsage;
        }

        using var log = state?.Results();
        // Filled by the result callback, on the pipeline's actor: the handler shares nothing with the host.
        var sums = new List<(string Path, string Line)>();
        var run = new JobRun<TreeEntry>("Hash", "hash", builder =>
        {
            builder.WithSettings(flags.Overrides(parsed))
                .WithHandler<HashHandler, FileSum>(sum =>
                {
                    log?.Add(sum.Path, sum.Line);
                    sums.Add((sum.Path, sum.Line));
                })
                .OnFailedItem(failure => console.Error.WriteLine($"hash: {((TreeEntry)failure.Item!).Path}: {Reason(failure.Cause)}"));
            if (state is not null)
            {
                builder.WithDurability(state.Id, state.Store)
                    .WithResumableSource<TreeEntry, string>("walker-0", tree.WalkInOrderAsync, FileTree.PathOrder);
                return;
            }

            for (var i = 0; i < walkers; i++)
                builder.WithSource($"walker-{i}", tree.WalkAsync);
        })
        {
            Verbose = parsed.GetValue(flags.Verbose),
            Quiet = parsed.GetValue(flags.Quiet),
            Cluster = flags.Cluster.Given(parsed),
            Telemetry = parsed.GetValue(flags.Otel),
            Chart = parsed.GetValue(flags.Chart),
            RouteesPerNode = flags.RouteesPerNode(parsed, config, "hash"),
        };

        var report = await JobRunner.RunAsync(config, run, console);
        var lines = new Dictionary<string, string>(log?.Earlier ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        foreach (var (path, line) in sums)
            lines[path] = line;
        var output = new StringBuilder();
        foreach (var (_, line) in lines.OrderBy(s => s.Key, StringComparer.Ordinal))
            output.Append(line).Append('\n');
        await console.Out.WriteAsync(output.ToString());
        await console.Out.FlushAsync();
        if (state is not null && report.EveryItemFinished)
            log!.Delete();
        return JobRunner.ExitCode(report);
    }

    /// <summary>The file's SHA-256, read in 1 MiB blocks (large files are never loaded whole).</summary>
    public static byte[] Hash(TreeEntry entry)
    {
        if (entry.Error is not null)
            throw entry.Error;
        using var file = new FileStream(entry.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 0, FileOptions.SequentialScan);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            int read;
            while ((read = file.Read(buffer)) > 0)
                sha.AppendData(buffer, 0, read);
            return sha.GetHashAndReset();
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// One line of <c>sha256sum</c> output (text mode): a name holding <c>\</c>, a newline or a carriage return is
    /// escaped (<c>\\</c>, <c>\n</c>, <c>\r</c>) and the line then starts with <c>\</c>, as coreutils does, so that
    /// <c>sha256sum -c</c> reads it back.
    /// </summary>
    public static string Line(byte[] hash, string path)
    {
        var hex = Convert.ToHexStringLower(hash);
        if (path.AsSpan().IndexOfAny('\\', '\n', '\r') < 0)
            return $"{hex}  {path}";
        return $"\\{hex}  {path.Replace("\\", "\\\\").Replace("\n", "\\n").Replace("\r", "\\r")}";
    }

    // What went wrong, in the words of coreutils where it has them; from a worker, the exception arrives by its type's name.
    private static string Reason(Exception cause) => (cause is RemoteFailureException remote ? remote.ExceptionType : cause.GetType().FullName) switch
    {
        "System.IO.FileNotFoundException" or "System.IO.DirectoryNotFoundException" when cause.Message.StartsWith("Could not find", StringComparison.Ordinal) =>
            "No such file or directory (it vanished during the run)",
        "System.UnauthorizedAccessException" => "Permission denied",
        _ => cause.Message,
    };
}
