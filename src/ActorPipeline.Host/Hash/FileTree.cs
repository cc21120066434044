using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using ActorPipeline.Persistence;

namespace ActorPipeline.Host;

/// <summary>A regular file found under the paths of a job, or a path that could not be read (its error says why).</summary>
internal sealed record TreeEntry(string Path, Exception? Error = null);

/// <summary>
/// The regular files under some paths, as <c>find PATH… -type f</c> finds them: paths named on the command line are
/// followed when they are links, links inside the trees only with <c>follow</c> (then every directory is walked
/// once, so link cycles end). FIFOs, sockets and devices inside the trees are skipped; named on the command line they
/// are an entry with an error. Several producers can walk one tree together:
/// each takes the next unread directory.
/// </summary>
internal sealed class FileTree
{
    private readonly ConcurrentQueue<TreeEntry> _named = new();
    private readonly ConcurrentQueue<string> _directories = new();
    private readonly ConcurrentDictionary<(ulong, ulong), bool> _walked = new();
    private readonly bool _follow;
    private readonly string[] _roots;

    public FileTree(IEnumerable<string> paths, bool follow)
    {
        _follow = follow;
        _roots = paths.ToArray();
        foreach (var path in _roots)
        {
            switch (FileStat.Of(path, follow: true))
            {
                case (FileStat.Kind.Directory, var id):
                    if (_walked.TryAdd(id, true))
                        Enqueue(path);
                    break;
                case (FileStat.Kind.File, _):
                    _named.Enqueue(new TreeEntry(path));
                    break;
                case (FileStat.Kind.Missing, _):
                    _named.Enqueue(new TreeEntry(path, new FileNotFoundException("No such file or directory", path)));
                    break;
                default:
                    _named.Enqueue(new TreeEntry(path, new IOException("Not a regular file or directory")));
                    break;
            }
        }
    }

    /// <summary>Every entry, read by one caller, in order: named files, then each directory sorted by name.</summary>
    public IEnumerable<TreeEntry> List()
    {
        while (_named.TryDequeue(out var named))
            yield return named;
        while (_directories.TryDequeue(out var directory))
        {
            foreach (var entry in Read(directory))
                yield return entry;
        }
    }

    /// <summary>One walker's share of the entries; call it from as many producers as should walk at once.</summary>
    /// <remarks>
    /// A walker that finds no unread directory stops rather than wait for one: the walker reading a directory walks the
    /// subdirectories it finds itself if nobody else takes them. Waiting would hold the credit of the entry about to be
    /// yielded while the other walkers need credit to go on, and with a small capacity the walk would stop for good.
    /// </remarks>
    public async IAsyncEnumerable<TreeEntry> WalkAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (_named.TryDequeue(out var named))
            yield return named;
        while (!cancellationToken.IsCancellationRequested && _directories.TryDequeue(out var directory))
        {
            foreach (var entry in Read(directory))
                yield return entry;
        }

        await Task.CompletedTask;
    }

    /// <summary>How <see cref="WalkInOrderAsync"/> orders positions: by path component, each ordinally, as a walk that
    /// reads each directory sorted by name and goes into a subdirectory where its name comes.</summary>
    public static IComparer<string> PathOrder { get; } = Comparer<string>.Create(static (a, b) =>
    {
        for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
        {
            if (a[i] == b[i])
                continue;
            // The separator before any character: a directory's entries come before its next sibling's name.
            return a[i] == '/' ? -1 : b[i] == '/' ? 1 : a[i].CompareTo(b[i]);
        }

        return a.Length.CompareTo(b.Length);
    });

    /// <summary>Every entry, as one walker finds them depth first, each with its position: the number of the path named
    /// (in the order named) and the entry's path, so that a walk resumed at a position goes on where it was.</summary>
    /// <remarks>The whole tree is walked again on resume (only the entries before the position are passed over), so that
    /// with links followed each directory is still walked where it was first found.</remarks>
    public async IAsyncEnumerable<(TreeEntry Entry, string Position)> WalkInOrderAsync(
        ResumePoint<string> from, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var walked = new HashSet<(ulong, ulong)>();
        for (var root = 0; root < _roots.Length && !cancellationToken.IsCancellationRequested; root++)
        {
            foreach (var entry in InOrder(_roots[root], walked))
            {
                if (cancellationToken.IsCancellationRequested)
                    break;
                var position = $"{root:D6}/{entry.Path}";
                if (!from.HasPosition || PathOrder.Compare(position, from.Position) >= 0)
                    yield return (entry, position);
            }
        }

        await Task.CompletedTask;
    }

    // One path named, depth first, each directory's entries sorted by name.
    private IEnumerable<TreeEntry> InOrder(string root, HashSet<(ulong, ulong)> walked)
    {
        var (kind, id) = FileStat.Of(root, follow: true);
        if (kind != FileStat.Kind.Directory)
        {
            yield return kind switch
            {
                FileStat.Kind.File => new TreeEntry(root),
                FileStat.Kind.Missing => new TreeEntry(root, new FileNotFoundException("No such file or directory", root)),
                _ => new TreeEntry(root, new IOException("Not a regular file or directory")),
            };
            yield break;
        }

        if (!walked.Add(id))
            yield break;
        var stack = new Stack<(string[] Names, int Next)>();
        var (names, unreadable) = Sorted(root);
        if (unreadable is not null)
        {
            yield return new TreeEntry(root, unreadable);
            yield break;
        }

        stack.Push((names, 0));
        while (stack.TryPop(out var top))
        {
            if (top.Next == top.Names.Length)
                continue;
            var path = top.Names[top.Next];
            stack.Push(top with { Next = top.Next + 1 });
            var (entryKind, entryId) = Classify(path);
            if (entryKind == FileStat.Kind.Directory)
            {
                if (_follow && !walked.Add(entryId))
                    continue;
                var (inside, error) = Sorted(path);
                if (error is null)
                    stack.Push((inside, 0));
                else
                    yield return new TreeEntry(path, error);
            }
            else if (Entry(path, entryKind) is { } entry)
            {
                yield return entry;
            }
        }
    }

    // A directory's entries sorted by name, or why it cannot be read.
    private static (string[] Names, Exception? Error) Sorted(string directory)
    {
        try
        {
            var names = Directory.GetFileSystemEntries(directory);
            Array.Sort(names, StringComparer.Ordinal);
            return (names, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ([], e);
        }
    }

    private void Enqueue(string directory) => _directories.Enqueue(directory);

    // What an entry inside a tree is, its links resolved when they are followed.
    private (FileStat.Kind Kind, (ulong, ulong) Id) Classify(string path)
    {
        var (kind, id) = FileStat.Of(path, follow: false);
        if (kind == FileStat.Kind.Link && _follow)
        {
            (kind, id) = FileStat.Of(path, follow: true);
            if (kind == FileStat.Kind.Missing)
                return (FileStat.Kind.Link, id); // dangling: reported as such by Entry
        }

        return (kind, id);
    }

    // The entry for a path inside a tree that is not a directory: a file, an error, or nothing (a link not followed, a
    // FIFO, socket or device).
    private TreeEntry? Entry(string path, FileStat.Kind kind) => kind switch
    {
        FileStat.Kind.File => new TreeEntry(path),
        FileStat.Kind.Link when _follow => new TreeEntry(path, new FileNotFoundException("Dangling symbolic link", path)),
        FileStat.Kind.Missing => new TreeEntry(path, new FileNotFoundException("No such file or directory (removed while the tree was walked)", path)),
        _ => null,
    };

    // The files of one directory; its subdirectories are queued for whichever walker is free.
    private IEnumerable<TreeEntry> Read(string directory)
    {
        var (names, unreadable) = Sorted(directory);
        if (unreadable is not null)
            return [new TreeEntry(directory, unreadable)];
        var files = new List<TreeEntry>();
        foreach (var path in names)
        {
            var (kind, id) = Classify(path);
            if (kind == FileStat.Kind.Directory)
            {
                if (!_follow || _walked.TryAdd(id, true))
                    Enqueue(path);
            }
            else if (Entry(path, kind) is { } entry)
            {
                files.Add(entry);
            }
        }

        return files;
    }
}
