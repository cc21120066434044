using System.Collections.Concurrent;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using ActorPipeline.Persistence;
using Akka.Configuration;
using Spectre.Console;

namespace ActorPipeline.Host;

/// <summary>Log ingestion: producers stream the files as blocks of whole lines, one file at a time each; consumers count
/// the lines of each block by level and by <c>--grep</c>.</summary>
internal static class IngestCommand
{
    private const string Section = "actor-pipeline-host.ingest";

    public static void Configure(RootCommand root, Config config, HostConsole console)
    {
        var flags = new JobOptions(PipelineSettings.Create(config, "ingest"), "Files read at the same time, each by a producer of its own.", HostConfig.GetInt(config, $"{Section}.producers"));
        var paths = new Argument<string[]>("PATH") { Description = "Log files, or directories to walk; .gz files are read decompressed.", Arity = ArgumentArity.OneOrMore };
        var grep = new Option<string?>("--grep") { Description = "Count the lines this regular expression matches, as grep -c -E does." };
        var json = new Option<bool>("--json") { Description = "Print the counts as JSON instead of a table." };
        var maxLine = JobOptions.Int(
            "--max-line-bytes", "Longest line classified and searched whole; a longer one is cut to this, counted in full and reported.",
            HostConfig.GetInt(config, $"{Section}.max-line-bytes"), 1024);

        var ingest = new Command("ingest", "Count the lines of log files by level (and those matching --grep), file by file.");
        ingest.Arguments.Add(paths);
        flags.AddTo(ingest);
        flags.AddStateTo(ingest);
        ingest.Options.Add(grep);
        ingest.Options.Add(json);
        ingest.Options.Add(maxLine);
        ingest.SetAction((parsed, _) => RunAsync(
            config, parsed.GetValue(paths)!, parsed.GetValue(grep), parsed.GetValue(json), parsed.GetValue(maxLine), parsed, flags, console));
        root.Subcommands.Add(ingest);
    }

    private static async Task<int> RunAsync(
        Config config, string[] paths, string? pattern, bool json, int maxLineBytes, ParseResult parsed, JobOptions flags, HostConsole console)
    {
        Regex? regex;
        try
        {
            // Linear-time matching, as grep's: a pattern cannot make a large file take exponential time.
            regex = pattern is null ? null : LineCounter.Compile(pattern);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            await console.Error.WriteLineAsync($"error: --grep '{pattern}' is not a usable regular expression: {e.Message}");
            return HostApp.BadUsage;
        }

        var entries = new FileTree(paths, follow: false).List().ToArray();
        if (entries.FirstOrDefault(e => e.Error is FileNotFoundException) is { } missing)
        {
            await console.Error.WriteLineAsync($"error: {missing.Path}: no such file or directory.");
            return HostApp.BadUsage;
        }

        var files = entries.Where(e => e.Error is null).Select(e => new LogFile(e.Path) { Pattern = pattern }).ToArray();
        foreach (var unreadable in entries.Where(e => e.Error is not null))
            await console.Error.WriteLineAsync($"ingest: {unreadable.Path}: {unreadable.Error!.Message}");

        var queue = new ConcurrentQueue<LogFile>(files);
        // With --state, one producer reads the files in order, block positions (file, offset) marking where a resumed run
        // goes on; each block's counts and each file's own totals go to a log beside the state as they come.
        var state = parsed.GetValue(flags.State) is { } stateFile
            ? new JobState(stateFile, "ingest", paths.Select(Path.GetFullPath).Append(pattern ?? "").Append($"{maxLineBytes}"))
            : null;
        if (state is { IsDatabase: true })
        {
            await console.Error.WriteLineAsync("error: ingest keeps the counts of earlier runs beside its state: give --state a file.");
            return HostApp.BadUsage;
        }

        using var log = state?.Results();
        var resumable = log is null ? null : new ResumableCounts(files, log);
        void Report(LogFile file, string message) => console.Error.WriteLine($"ingest: {file.Path}: {message}");
        var run = new JobRun<LogBlock>("Ingest", "ingest", builder =>
        {
            builder.WithSettings(flags.Overrides(parsed));
            if (resumable is not null)
            {
                builder.WithHandler<IngestHandler, BlockCounts>(resumable.Add)
                    .WithDurability(state!.Id, state.Store)
                    .WithResumableSource<LogBlock, BlockAt>("reader-0", (from, ct) =>
                        LogFile.ReadInOrderAsync(files, resumable.Start(from), from, maxLineBytes, Report, resumable.FileRead, ct));
                return;
            }

            // Counts come back as results, added to their file on the pipeline's actor: handlers share no tally, and
            // may run on other nodes.
            builder.WithHandler<IngestHandler, BlockCounts>(BlockCounts.AddToFile);
            for (var i = 0; i < parsed.GetValue(flags.Producers); i++)
                builder.WithSource($"reader-{i}", ct => LogFile.ReadAsync(queue, maxLineBytes, Report, ct));
        })
        {
            Verbose = parsed.GetValue(flags.Verbose),
            Quiet = parsed.GetValue(flags.Quiet),
            Cluster = flags.Cluster.Given(parsed),
            Telemetry = parsed.GetValue(flags.Otel),
            Chart = parsed.GetValue(flags.Chart),
            RouteesPerNode = flags.RouteesPerNode(parsed, config, "ingest"),
        };

        var report = await JobRunner.RunAsync(config, run, console);
        resumable?.AddUp();
        if (state is not null && report.EveryItemFinished)
            log!.Delete();
        foreach (var file in files)
            file.Forget();
        var sorted = files.OrderBy(f => f.Path, StringComparer.Ordinal).ToArray();
        if (json)
            await console.Out.WriteLineAsync(Json(sorted, regex is not null));
        else
            Table(sorted, regex is not null, console);
        var exit = JobRunner.ExitCode(report);
        return exit == HostApp.Success && (entries.Any(e => e.Error is not null) || files.Any(f => f.Error is not null)) ? HostApp.ItemsFailed : exit;
    }

    private sealed record Counts(string? Path, long Lines, long Bytes, Dictionary<string, long> Levels, long? Matches);

    private static Counts[] Rows(LogFile[] files, bool grep)
    {
        var rows = files.Select(f => new Counts(
            f.Path, f.Lines, f.Bytes, LogLevels.Names.Select((n, i) => (n, f.Level(i))).ToDictionary(), grep ? f.Matches : null)).ToList();
        rows.Add(new Counts(null, rows.Sum(r => r.Lines), rows.Sum(r => r.Bytes),
            LogLevels.Names.ToDictionary(n => n, n => rows.Sum(r => r.Levels[n])), grep ? rows.Sum(r => r.Matches) : null));
        return rows.ToArray();
    }

    private static string Json(LogFile[] files, bool grep)
    {
        var rows = Rows(files, grep);
        return JsonSerializer.Serialize(new { files = rows[..^1], total = rows[^1] with { Path = null } }, JsonOptions);
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private static void Table(LogFile[] files, bool grep, HostConsole console)
    {
        var table = new Table().Border(Terminal.Border(console.OutIsTerminal)).AddColumn("file");
        var columns = new[] { "lines", "bytes" }.Concat(LogLevels.Names).Concat(grep ? ["matches"] : []);
        foreach (var column in columns)
            table.AddColumn(new TableColumn(column).RightAligned());
        foreach (var row in Rows(files, grep))
        {
            var cells = new[] { row.Lines, row.Bytes }.Concat(LogLevels.Names.Select(n => row.Levels[n])).Concat(grep ? [row.Matches!.Value] : [])
                .Select(v => v.ToString("N0", CultureInfo.InvariantCulture));
            table.AddRow(cells.Prepend(Markup.Escape(row.Path ?? "total")).ToArray());
        }

        Terminal.For(console.Out, console.OutIsTerminal).Write(table);
    }
}
