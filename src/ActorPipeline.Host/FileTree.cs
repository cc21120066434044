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
    private readonly SemaphoreSlim _moreWork = new(0);
    private readonly bool _follow;
    private readonly int _walkers;
    private int _pending;

    public FileTree(IEnumerable<string> paths, bool follow, int walkers = 1)
    {
        _follow = follow;
        _walkers = walkers;
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
            _pending--;
        }
    }

    /// <summary>One walker's share of the entries; call it from as many producers as should walk at once.</summary>
    public async IAsyncEnumerable<TreeEntry> WalkAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (_named.TryDequeue(out var named))
            yield return named;
        while (!cancellationToken.IsCancellationRequested)
        {
            if (_directories.TryDequeue(out var directory))
            {
                foreach (var entry in Read(directory))
                    yield return entry;
                // The last directory done and nothing queued: wake every walker so that all of them stop.
                if (Interlocked.Decrement(ref _pending) == 0)
                    _moreWork.Release(_walkers);
            }
            else if (Volatile.Read(ref _pending) == 0)
            {
                yield break;
            }
            else
            {
                await _moreWork.WaitAsync(cancellationToken);
            }
        }
    }

    private void Enqueue(string directory)
    {
        Interlocked.Increment(ref _pending);
        _directories.Enqueue(directory);
        _moreWork.Release();
    }

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
