using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

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

    public FileTree(IEnumerable<string> paths, bool follow)
    {
        _follow = follow;
        foreach (var path in paths)
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

    private void Enqueue(string directory) => _directories.Enqueue(directory);

    // The files of one directory; its subdirectories are queued for whichever walker is free.
    private IEnumerable<TreeEntry> Read(string directory)
    {
        string[] names;
        try
        {
            names = Directory.GetFileSystemEntries(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [new TreeEntry(directory, e)];
        }

        Array.Sort(names, StringComparer.Ordinal);
        var files = new List<TreeEntry>();
        foreach (var path in names)
        {
            var (kind, id) = FileStat.Of(path, follow: false);
            if (kind == FileStat.Kind.Link && _follow)
            {
                (kind, id) = FileStat.Of(path, follow: true);
                if (kind == FileStat.Kind.Missing)
                {
                    files.Add(new TreeEntry(path, new FileNotFoundException("Dangling symbolic link", path)));
                    continue;
                }
            }

            if (kind == FileStat.Kind.File)
                files.Add(new TreeEntry(path));
            else if (kind == FileStat.Kind.Directory && (!_follow || _walked.TryAdd(id, true)))
                Enqueue(path);
            else if (kind == FileStat.Kind.Missing)
                files.Add(new TreeEntry(path, new FileNotFoundException("No such file or directory (removed while the tree was walked)", path)));
        }

        return files;
    }
}
