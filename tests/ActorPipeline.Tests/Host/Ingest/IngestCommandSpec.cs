using System.IO.Compression;
using System.Text;
using System.Text.Json;
using ActorPipeline.Host;

namespace ActorPipeline.Tests.Host;

public sealed class IngestCommandSpec : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ingest-spec-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    // Files that exercise how lines are read: long lines across read buffers, empty lines, no final newline, CRLF,
    // invalid UTF-8, and a gzip file.
    private string[] WriteLogs()
    {
        var random = new Random(7);
        var levels = new[] { "TRACE", "debug", "Info", "WARN", "warning", "ERROR", "fatal", "CRITICAL", "errors", "note" };
        var plain = new StringBuilder();
        for (var i = 0; i < 5_000; i++)
        {
            plain.Append($"2026-11-27T12:00:{i % 60:00} [{levels[random.Next(levels.Length)]}] request {i} took {random.Next(1000)} ms");
            if (i % 97 == 0)
                plain.Append(" timeout ").Append(new string('x', 70_000 + i));
            plain.Append('\n');
            if (i % 13 == 0)
                plain.Append('\n');
        }

        var files = new[] { "app.log", "crlf.log", "tail.log", "binary.log", "sub/old.log.gz" }.Select(f => Path.Combine(_root, f)).ToArray();
        Directory.CreateDirectory(Path.Combine(_root, "sub"));
        File.WriteAllText(files[0], plain.ToString());
        File.WriteAllText(files[1], plain.ToString().Replace("\n", "\r\n"));
        File.WriteAllText(files[2], "INFO first\n\nERROR no newline at the end, timeout 3 ms");
        File.WriteAllBytes(files[3], [.. "WARN ok\n"u8, 0xFF, 0xFE, .. " ERROR after invalid bytes\nINFO "u8, 0xC3, .. " done\n"u8, 0xC3, .. "\n"u8]);
        using (var gz = new GZipStream(File.Create(files[4]), CompressionLevel.Fastest))
            gz.Write(Encoding.UTF8.GetBytes(plain.ToString()[..200_000]));
        return files;
    }

    [Theory]
    [InlineData("ERROR")]
    [InlineData("ERROR after invalid")] // plain text: found in the bytes without decoding them
    [InlineData("no newline at the end")]
    [InlineData("^$")]
    [InlineData("timeout [0-9]+ ms|took 99[0-9]")]
    [InlineData("ms$")]
    [InlineData("^2026-[0-9-]+T12:00:(0[0-9]|59) \\[(warn|WARN)")]
    public async Task Counts_equal_what_grep_and_wc_report(string pattern)
    {
        var files = WriteLogs();

        var run = await HostRun.RunAsync(["ingest", _root, "--grep", pattern, "--json", "--quiet"]);

        Assert.Equal(0, run.Exit);
        Assert.Equal("", run.Err);
        using var json = JsonDocument.Parse(run.Out);
        var rows = json.RootElement.GetProperty("files").EnumerateArray().ToDictionary(f => f.GetProperty("path").GetString()!);
        Assert.Equal(files.Order(StringComparer.Ordinal), rows.Keys);
        foreach (var file in files)
        {
            var cat = file.EndsWith(".gz") ? $"zcat {ShellTool.Quote(file)}" : $"cat {ShellTool.Quote(file)}";
            var row = rows[file];
            Assert.Equal(await Number($"{cat} | grep -c -E {ShellTool.Quote(pattern)}"), row.GetProperty("matches").GetInt64());
            Assert.Equal(await Number($"{cat} | wc -l"), row.GetProperty("lines").GetInt64());
            Assert.Equal(await Number($"{cat} | wc -c"), row.GetProperty("bytes").GetInt64());
            // Every line has exactly one level, the last one without a newline too (grep -c '' counts it).
            var levels = row.GetProperty("levels").EnumerateObject().Sum(l => l.Value.GetInt64());
            Assert.Equal(await Number($"{cat} | grep -c ''"), levels);
        }

        var total = json.RootElement.GetProperty("total");
        Assert.Equal(rows.Values.Sum(r => r.GetProperty("matches").GetInt64()), total.GetProperty("matches").GetInt64());
        Assert.Equal(rows.Values.Sum(r => r.GetProperty("lines").GetInt64()), total.GetProperty("lines").GetInt64());
    }

    [Fact]
    public async Task The_table_has_a_row_per_file_and_a_total_and_the_summary_goes_to_stderr()
    {
        var files = WriteLogs();

        var run = await HostRun.RunAsync(["ingest", files[2], files[3]]);

        Assert.Equal(0, run.Exit);
        var rows = run.Lines.Where(l => l.StartsWith("| ")).Select(l => l.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToArray();
        Assert.Equal(["file", "lines", "bytes", "trace", "debug", "info", "warn", "error", "fatal", "other"], rows[0]);
        var (binary, tail) = (new FileInfo(files[3]).Length, new FileInfo(files[2]).Length);
        Assert.Equal([files[3], "4", $"{binary}", "0", "0", "1", "1", "1", "0", "1"], rows[1]);
        Assert.Equal([files[2], "2", $"{tail}", "0", "0", "1", "0", "1", "0", "1"], rows[2]);
        Assert.Equal(["total", "6", $"{binary + tail}", "0", "0", "2", "1", "2", "0", "2"], rows[3]);
        Assert.Contains("ingest: completed", run.ErrLines);
        Assert.Contains(run.ErrLines, l => l.StartsWith("| reader-0 ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_missing_path_is_bad_usage()
    {
        var run = await HostRun.RunAsync(["ingest", Path.Combine(_root, "nowhere.log")]);

        Assert.Equal(2, run.Exit);
        Assert.Equal($"error: {Path.Combine(_root, "nowhere.log")}: no such file or directory.\n", run.Err);
        Assert.Equal("", run.Out);
    }

    [Fact]
    public async Task A_pattern_the_matcher_cannot_use_is_bad_usage()
    {
        var run = await HostRun.RunAsync(["ingest", _root, "--grep", "(unclosed"]);

        Assert.Equal(2, run.Exit);
        Assert.StartsWith("error: --grep '(unclosed' is not a usable regular expression: ", run.Err);
        Assert.Single(run.ErrLines);
    }

    [Fact]
    public async Task A_corrupt_gzip_file_is_reported_the_other_files_are_counted_and_the_run_exits_with_one()
    {
        var good = Path.Combine(_root, "good.log");
        await File.WriteAllTextAsync(good, "INFO a\nERROR b\n");
        await File.WriteAllTextAsync(Path.Combine(_root, "broken.log.gz"), "this is not gzip data\n");

        var run = await HostRun.RunAsync(["ingest", _root, "--json", "--quiet"]);

        Assert.Equal(1, run.Exit);
        Assert.StartsWith($"ingest: {Path.Combine(_root, "broken.log.gz")}: ", run.Err);
        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal(2, json.RootElement.GetProperty("files").EnumerateArray().Single(f => f.GetProperty("path").GetString() == good).GetProperty("lines").GetInt64());
    }

    [Theory]
    [InlineData("end\\s+ERROR")]
    [InlineData("x[^y]ERROR")]
    [InlineData("ms$|^$")]
    public async Task A_match_that_would_run_across_a_newline_counts_only_for_a_line_that_matches_by_itself(string pattern)
    {
        // Blocks of many lines are searched at once; a pattern able to match a newline must still count as grep counts.
        var log = Path.Combine(_root, "across.log");
        var text = new StringBuilder();
        for (var i = 0; i < 30_000; i++)
            text.Append(i % 3 == 0 ? $"request {i} end\nERROR next {i}\n" : i % 5 == 0 ? $"x\nERROR {i} took 3 ms\n\n" : $"INFO {i} took {i % 7} ms\n");
        await File.WriteAllTextAsync(log, text.ToString());

        var run = await HostRun.RunAsync(["ingest", log, "--grep", pattern, "--json", "--quiet"]);

        using var json = JsonDocument.Parse(run.Out);
        Assert.Equal(await Number($"grep -c -E {ShellTool.Quote(pattern)} {ShellTool.Quote(log)}"), json.RootElement.GetProperty("total").GetProperty("matches").GetInt64());
    }

    [Fact]
    public async Task With_state_the_counts_are_those_of_a_run_without_and_only_the_cleared_state_is_left()
    {
        WriteLogs();
        var state = Path.Combine(Directory.CreateTempSubdirectory("ingest-state-").FullName, "ingest.db");
        string[] args = ["ingest", _root, "--grep", "timeout [0-9]+ ms", "--max-line-bytes", "65536", "--json", "--quiet"];

        var plain = await HostRun.RunAsync(args);
        var durable = await HostRun.RunAsync([.. args, "--state", state]);

        Assert.Equal((plain.Exit, plain.Out), (durable.Exit, durable.Out));
        // The counts logged for a resumed run went with the state once every block was counted.
        Assert.Equal(["ingest.db"], Directory.GetFiles(Path.GetDirectoryName(state)!).Select(Path.GetFileName));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(Path.GetDirectoryName(state)!, recursive: true);
    }

    [Fact]
    public async Task A_line_longer_than_the_limit_is_counted_in_full_searched_in_its_first_part_and_reported()
    {
        var log = Path.Combine(_root, "long.log");
        await File.WriteAllTextAsync(log, $"INFO short\nERROR {new string('a', 5_000)} needle\nWARN {new string('b', 3_000)}\nDEBUG last\n");

        var run = await HostRun.RunAsync(["ingest", log, "--grep", "needle|last|short", "--max-line-bytes", "2048", "--json", "--quiet"]);

        Assert.Equal(0, run.Exit);
        Assert.Equal(
            [$"ingest: {log}: a line is longer than --max-line-bytes (2,048 bytes); only its first 2,048 bytes were classified and searched"],
            run.ErrLines.Distinct());
        Assert.Equal(2, run.ErrLines.Length);
        using var json = JsonDocument.Parse(run.Out);
        var total = json.RootElement.GetProperty("total");
        Assert.Equal((4L, new FileInfo(log).Length, 2L), (total.GetProperty("lines").GetInt64(), total.GetProperty("bytes").GetInt64(), total.GetProperty("matches").GetInt64()));
        var levels = total.GetProperty("levels");
        Assert.Equal((1L, 1L, 1L, 1L), (levels.GetProperty("info").GetInt64(), levels.GetProperty("error").GetInt64(), levels.GetProperty("warn").GetInt64(), levels.GetProperty("debug").GetInt64()));
    }

    [Theory]
    [InlineData("2026-11-27 12:00:00 [ERROR] disk full", "error")]
    [InlineData("level=warn msg=slow", "warn")]
    [InlineData("WARNING: deprecated", "warn")]
    [InlineData("Critical failure", "fatal")]
    [InlineData("FATAL", "fatal")]
    [InlineData("ERRORS: 0, then INFO", "info")]
    [InlineData("user_info is not a level, debug is", "debug")]
    [InlineData("trace-id=1 INFO", "trace")]
    [InlineData("", "other")]
    [InlineData("nothing here", "other")]
    [InlineData("infoERROR", "other")]
    public void A_line_is_classified_by_its_first_whole_word_that_names_a_level(string line, string level)
    {
        // The line among others in a block: a line with no level, the line, and a fatal one without a final newline.
        var levels = new long[LogLevels.Names.Length];
        LogLevels.ClassifyLines(Encoding.UTF8.GetBytes($"x\n{line}\nfatal y"), levels);

        var expected = new long[LogLevels.Names.Length];
        expected[LogLevels.Other]++;
        expected[Array.IndexOf(LogLevels.Names, level)]++;
        expected[Array.IndexOf(LogLevels.Names, "fatal")]++;
        Assert.Equal(expected, levels);
    }

    private static async Task<long> Number(string command) => long.Parse((await ShellTool.RunAsync(command)).Out.Trim());
}
