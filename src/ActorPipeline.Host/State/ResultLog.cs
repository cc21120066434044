using System.Text;
using System.Text.Json;

namespace ActorPipeline.Host;

/// <summary>Results of a resumable job, one line per item, so that a resumed run prints those of the earlier runs too.</summary>
/// <remarks>
/// A line is written (to the operating system, which keeps it if the process is killed) by the result callback, before
/// the pipeline counts the item as finished: an item whose line was written and whose finishing was not is handled again,
/// and its line written again, so the log is read with the last line of each key winning. A line cut by a crash is passed
/// over. Lines are JSON pairs: keys and values may hold any character.
/// </remarks>
internal sealed class ResultLog : IDisposable
{
    private readonly string _path;
    private readonly FileStream _file;

    private ResultLog(string path, Dictionary<string, string> earlier)
    {
        _path = path;
        Earlier = earlier;
        _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        // A line cut by a crash is ended, so that the next line starts a line of its own.
        if (_file.Position > 0 && LastByte(path) != '\n')
            _file.WriteByte((byte)'\n');
    }

    private static int LastByte(string path)
    {
        using var file = File.OpenRead(path);
        file.Seek(-1, SeekOrigin.End);
        return file.ReadByte();
    }

    /// <summary>What the earlier runs logged, by key.</summary>
    public IReadOnlyDictionary<string, string> Earlier { get; }

    public static ResultLog Open(string path)
    {
        var earlier = new Dictionary<string, string>(StringComparer.Ordinal);
        if (File.Exists(path))
        {
            foreach (var line in File.ReadLines(path))
            {
                try
                {
                    if (JsonSerializer.Deserialize<string[]>(line) is [var key, var value])
                        earlier[key] = value;
                }
                catch (JsonException)
                {
                    // The last line of a run that was killed while writing it: its item was not finished, and goes again.
                }
            }
        }

        return new ResultLog(path, earlier);
    }

    /// <summary>Logs <paramref name="value"/> under <paramref name="key"/>, written through before it returns; from any thread.</summary>
    public void Add(string key, string value)
    {
        var line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new[] { key, value }) + "\n");
        lock (_file)
        {
            _file.Write(line);
            _file.Flush();
        }
    }

    /// <summary>The run finished every item: the log goes with the state.</summary>
    public void Delete()
    {
        _file.Dispose();
        File.Delete(_path);
    }

    public void Dispose() => _file.Dispose();
}
