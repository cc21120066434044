using System.Security.Cryptography;
using ActorPipeline.Host;

namespace ActorPipeline.Tests.Host;

public sealed class HashCommandSpec : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("hash-spec-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Tree => Path.Combine(_root, "tree");

    // Names sha256sum must escape, an empty file, one larger than a read block, nesting, links and a FIFO.
    private async Task WriteTreeAsync()
    {
        Directory.CreateDirectory(Path.Combine(Tree, "sub", "deeper"));
        Directory.CreateDirectory(Path.Combine(_root, "outside"));
        foreach (var name in new[] { "a.txt", "back\\slash", "new\nline", "carriage\rreturn", "space name", "ünïcödé", "sub/deeper/x.txt" })
            await File.WriteAllTextAsync(Path.Combine(Tree, name), $"contents of {name}\n");
        await File.WriteAllBytesAsync(Path.Combine(Tree, "empty"), []);
        var big = new byte[3 * 1024 * 1024 + 17];
        new Random(3).NextBytes(big);
        await File.WriteAllBytesAsync(Path.Combine(Tree, "sub", "big.bin"), big);
        await File.WriteAllTextAsync(Path.Combine(_root, "outside", "o.txt"), "outside\n");
        File.CreateSymbolicLink(Path.Combine(Tree, "link-to-file"), Path.Combine(Tree, "a.txt"));
        File.CreateSymbolicLink(Path.Combine(Tree, "link-to-dir"), Path.Combine(_root, "outside"));
        Assert.Equal(0, (await ShellTool.RunAsync($"mkfifo {ShellTool.Quote(Path.Combine(Tree, "fifo"))}")).Exit);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task With_state_the_walk_in_order_prints_what_the_walkers_print_and_leaves_only_the_cleared_state(bool follow)
    {
        await WriteTreeAsync();
        string[] args = follow ? ["hash", Tree, "--follow", "--quiet"] : ["hash", Tree, "--quiet"];
        var state = Path.Combine(_root, "hash.db");

        var plain = await HostRun.RunAsync(args);
        var durable = await HostRun.RunAsync([.. args, "--state", state]);

        Assert.Equal((plain.Exit, plain.Out), (durable.Exit, durable.Out));
        // The sums logged for a resumed run went with the state once every file was hashed.
        Assert.Equal(["hash.db"], Directory.GetFiles(_root).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData(false, "")]
    [InlineData(true, "-L")]
    public async Task The_output_is_what_sha256sum_prints_for_every_regular_file_sorted_and_sha256sum_c_accepts_it(bool follow, string findFlag)
    {
        await WriteTreeAsync();

        var run = await HostRun.RunAsync(follow ? ["hash", Tree, "--follow", "--quiet"] : ["hash", Tree, "--quiet"]);

        Assert.Equal(0, run.Exit);
        Assert.Equal("", run.Err);
        var expected = (await ShellTool.RunAsync($"find {findFlag} {ShellTool.Quote(Tree)} -type f -print0 | xargs -0 sha256sum")).Out;
        Assert.Equal(expected.Split('\n').Order(StringComparer.Ordinal), run.Out.Split('\n').Order(StringComparer.Ordinal));
        Assert.Equal(follow ? 11 : 9, run.Lines.Length);
        var paths = run.Lines.Select(l => l[(l.IndexOf("  ", StringComparison.Ordinal) + 2)..]).ToArray();
        Assert.Equal(paths.Order(StringComparer.Ordinal), paths);
        var check = await ShellTool.RunAsync("sha256sum -c --strict --quiet -", input: run.Out);
        Assert.Equal((0, ""), check);
    }

    [Fact]
    public async Task Several_producers_walk_one_tree_and_each_file_is_hashed_once()
    {
        for (var d = 0; d < 20; d++)
        {
            Directory.CreateDirectory(Path.Combine(Tree, $"d{d}", "inner"));
            for (var f = 0; f < 10; f++)
                await File.WriteAllTextAsync(Path.Combine(Tree, $"d{d}", f % 2 == 0 ? "inner" : "", $"f{f}"), $"{d}/{f}");
        }

        var run = await HostRun.RunAsync(["hash", Tree, "--producers", "4", "--consumers", "3"]);

        Assert.Equal(0, run.Exit);
        Assert.Equal(200, run.Lines.Distinct().Count());
        Assert.Contains("hash: completed", run.Err);
    }

    [Fact]
    public async Task A_link_cycle_ends_when_links_are_followed()
    {
        Directory.CreateDirectory(Path.Combine(Tree, "sub"));
        await File.WriteAllTextAsync(Path.Combine(Tree, "sub", "x"), "x");
        File.CreateSymbolicLink(Path.Combine(Tree, "sub", "up"), Tree);

        var run = await HostRun.RunAsync(["hash", Tree, "--follow", "--quiet"]);

        Assert.Equal(0, run.Exit);
        Assert.Single(run.Lines);
    }

    [Fact]
    public async Task Unreadable_missing_and_vanished_files_are_reported_and_counted_and_the_rest_is_hashed()
    {
        Directory.CreateDirectory(Tree);
        await File.WriteAllTextAsync(Path.Combine(Tree, "ok"), "ok");
        File.CreateSymbolicLink(Path.Combine(Tree, "dangling"), Path.Combine(_root, "removed"));
        var missing = Path.Combine(_root, "nowhere");

        // /proc/self/mem is a regular file whose first read fails (EIO), for root too.
        var run = await HostRun.RunAsync(["hash", Tree, "/proc/self/mem", missing, "--follow"]);

        Assert.Equal(1, run.Exit);
        Assert.Equal([$"{Convert.ToHexStringLower(SHA256.HashData("ok"u8))}  {Path.Combine(Tree, "ok")}"], run.Lines);
        Assert.Contains(run.ErrLines, l => l.StartsWith("hash: /proc/self/mem: ", StringComparison.Ordinal));
        Assert.Contains($"hash: {missing}: No such file or directory", run.ErrLines);
        Assert.Contains($"hash: {Path.Combine(Tree, "dangling")}: Dangling symbolic link", run.ErrLines);
        var totals = run.Totals;
        Assert.Equal(["4", "1", "3"], totals[..3]);
    }

    [Fact]
    public async Task A_file_removed_after_it_was_listed_fails_with_a_clear_reason()
    {
        var gone = Path.Combine(_root, "gone");
        await File.WriteAllTextAsync(gone, "soon gone");
        var entry = new TreeEntry(gone);
        File.Delete(gone);

        var error = Assert.Throws<FileNotFoundException>(() => HashCommand.Hash(entry));
        Assert.Equal(gone, error.FileName);
    }

    [Theory]
    [InlineData("plain/name", "{0}  plain/name")]
    [InlineData("a\\b", "\\{0}  a\\\\b")]
    [InlineData("new\nline", "\\{0}  new\\nline")]
    [InlineData("cr\rx\\", "\\{0}  cr\\rx\\\\")]
    public void Names_are_escaped_as_coreutils_escapes_them(string path, string line)
    {
        var hash = SHA256.HashData([]);

        Assert.Equal(string.Format(line, Convert.ToHexStringLower(hash)), HashCommand.Line(hash, path));
    }

    [Fact]
    public async Task No_path_is_bad_usage()
    {
        var run = await HostRun.RunAsync(["hash"]);

        Assert.Equal(2, run.Exit);
        Assert.Single(run.ErrLines);
        Assert.StartsWith("error: ", run.Err);
    }
}
