using Akka.Actor.Internal;

namespace ActorPipeline.Cluster.Tests;

/// <summary>Handlers as types, so a cluster pool can deploy them: each returns its item and the port of the node that
/// handled it.</summary>
public sealed class WhereHandled : IItemHandler<long, string>
{
    public ValueTask<string> HandleAsync(long item, CancellationToken cancellationToken) =>
        ValueTask.FromResult($"{item}@{NodePort()}");

    // The routee's own cell is current while its handler runs synchronously.
    public static int NodePort() => InternalCurrentActorCellKeeper.Current!.SystemImpl.Provider.DefaultAddress.Port ?? 0;
}

/// <summary>Like <see cref="WhereHandled"/>, after waiting a millisecond: slow enough that a run is still going when a node dies.</summary>
public sealed class SlowWhereHandled : IItemHandler<long, string>
{
    public async ValueTask<string> HandleAsync(long item, CancellationToken cancellationToken)
    {
        var port = WhereHandled.NodePort();
        await Task.Delay(1, cancellationToken);
        return $"{item}@{port}";
    }
}

/// <summary>A handler without results, for the start-up checks.</summary>
public sealed class Ignore : IItemHandler<long>
{
    public ValueTask HandleAsync(long item, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}

/// <summary>A batch handler as a type: records each batch's size and node; refuses items ending in 07 on their first try.</summary>
public sealed class RecordingBatchHandler : IBatchHandler<long>
{
    public static readonly System.Collections.Concurrent.ConcurrentQueue<(int Size, int Port)> Batches = new();
    public static readonly System.Collections.Concurrent.ConcurrentDictionary<long, int> Tries = new();

    public ValueTask HandleAsync(Batch<long> batch, CancellationToken cancellationToken)
    {
        Batches.Enqueue((batch.Count, WhereHandled.NodePort()));
        for (var i = 0; i < batch.Count; i++)
        {
            if (Tries.AddOrUpdate(batch[i], 1, (_, n) => n + 1) == 1 && batch[i] % 100 == 7)
                batch.Fail(i, new TimeoutException("row locked"));
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>Records each try as it starts (the nodes of a test share one process), waits a millisecond so that a run is
/// still going when a node is lost, and returns where it ran.</summary>
public sealed class StartRecorder : IItemHandler<long, string>
{
    public static readonly System.Collections.Concurrent.ConcurrentQueue<long> Starts = new();

    public async ValueTask<string> HandleAsync(long item, CancellationToken cancellationToken)
    {
        Starts.Enqueue(item);
        var port = WhereHandled.NodePort();
        await Task.Delay(1, cancellationToken);
        return $"{item}@{port}";
    }
}
