using System.Security.Cryptography;
using System.Text;
using ActorPipeline.Persistence;

namespace ActorPipeline.Host;

/// <summary>A job's <c>--state</c>: a SQLite file or a PostgreSQL connection string, and the id the job's progress goes
/// under there — the job and the arguments that decide its items, so that a run with other arguments never resumes this
/// one's.</summary>
internal sealed class JobState
{
    public JobState(string state, string job, IEnumerable<string> arguments)
    {
        // Npgsql's connection strings are key=value pairs; a file name with '=' in it can be given as ./name.
        IsDatabase = state.Contains('=', StringComparison.Ordinal) && !state.StartsWith('.') && !state.StartsWith('/');
        Path = IsDatabase ? state : System.IO.Path.GetFullPath(state);
        var key = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\0', arguments.Prepend(job))));
        Id = $"{job}-{Convert.ToHexStringLower(key)[..16]}";
    }

    /// <summary>The state file, or the connection string.</summary>
    public string Path { get; }

    /// <summary>Whether the state is a PostgreSQL database rather than a file.</summary>
    public bool IsDatabase { get; }

    /// <summary>The durable pipeline's id.</summary>
    public string Id { get; }

    public DurableStore Store => IsDatabase ? DurableStore.PostgreSql(Path) : DurableStore.Sqlite(Path);

    /// <summary>The results the job prints at its end, kept beside the state file until a run finishes every item.</summary>
    public ResultLog Results() => IsDatabase
        ? throw new InvalidOperationException("the job keeps its results beside a state file")
        : ResultLog.Open($"{Path}.{Id}.results");
}
