using System.Runtime.CompilerServices;
using System.Threading.Channels;
using System.Threading.Tasks.Dataflow;
using Akka.Actor;
using Akka.Configuration;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace ActorPipeline.Benchmarks;

internal static class Paced
{
    /// <summary>Timestamps, one per millisecond (due times kept by <paramref name="clock"/>), for <paramref name="duration"/>.</summary>
    public static async IAsyncEnumerable<long> Timestamps(MicroDelay clock, TimeSpan duration, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var tick = System.Diagnostics.Stopwatch.Frequency / 1000;
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        var count = (long)duration.TotalMilliseconds;
        for (var k = 1; k <= count && !ct.IsCancellationRequested; k++)
        {
            await clock.WaitUntilAsync(start + k * tick);
            yield return System.Diagnostics.Stopwatch.GetTimestamp();
        }
    }

    public static async IAsyncEnumerable<long> Range(long start, long count)
    {
        for (var i = start; i < start + count; i++)
            yield return i;
        await Task.CompletedTask;
    }
}

/// <summary>ActorPipeline through its public API, as a user would call it.</summary>
internal sealed class ActorPipelineSystem : IPipelineSystem
{
    private readonly ActorSystem _system;
    private int _runs;

    /// <summary>A system for the runs; <paramref name="pipelineConfig"/> is HOCON over the library's defaults.</summary>
    public ActorPipelineSystem(string? pipelineConfig = null) =>
        _system = Pipeline.CreateSystem("bench", ConfigurationFactory.ParseString(pipelineConfig ?? "")
            .WithFallback(ConfigurationFactory.ParseString("akka.loglevel = WARNING")));

    public string Name => "ActorPipeline";

    public async Task<long> RunAsync(Scenario s)
    {
        var builder = Pipeline.Create<long>(_system, $"run-{_runs++}").WithSettings(settings => Sized(settings, s));
        for (var p = 0; p < s.Producers; p++)
        {
            var (start, count) = s.Share(p);
            builder.WithSource(_ => Paced.Range(start, count));
        }

        var work = s.Work;
        if (work.IsSynchronous)
            builder.WithHandler(work.Run);
        else
            builder.WithHandler((item, _) => work.RunAsync(item));
        var report = await builder.Start().Completion;
        return report.Succeeded;
    }

    public long InFlightBound(Scenario s) => Sized(PipelineSettings.Create(_system, "bound"), s).MaxItemsInFlight(s.Producers);

    // At equal capacity only the capacity is set, and the library derives the rest (unless --pipeline-config chose a
    // size, which is then kept); at its defaults, the queue's size.
    private PipelineSettings Sized(PipelineSettings settings, Scenario s) =>
        (s.Sizing == Sizing.Capacity
            ? PipelineSettings.Create(ConfigurationFactory.ParseString($"actor-pipeline.capacity = {s.Size}").WithFallback(_system.Settings.Config))
            : settings.WithBufferSize(s.Size)).WithConsumers(s.Consumers);

    public async Task RunPacedAsync(int capacity, MicroDelay clock, TimeSpan duration, Action<long> onStart)
    {
        await Pipeline.Create<long>(_system, $"paced-{_runs++}")
            .WithSettings(settings => settings.WithCapacity(capacity).WithConsumers(2))
            .WithSource(ct => Paced.Timestamps(clock, duration, ct))
            .WithHandler(onStart)
            .Start().Completion;
    }

    public async ValueTask DisposeAsync() => await _system.Terminate();
}

/// <summary>System.Threading.Channels: a bounded channel (FullMode.Wait), P writer tasks, C reader tasks.</summary>
/// <remarks>Bounded to the cell's size; each writer may also wait with one item and each reader hold one it works on.</remarks>
internal sealed class ChannelSystem : IPipelineSystem
{
    public string Name => "Channel";

    public long InFlightBound(Scenario s) => s.Size + s.Producers + s.Consumers;

    public async Task<long> RunAsync(Scenario s)
    {
        var channel = Channel.CreateBounded<long>(new BoundedChannelOptions(s.Size) { FullMode = BoundedChannelFullMode.Wait });
        var writers = Enumerable.Range(0, s.Producers).Select(p => Task.Run(async () =>
        {
            var (start, count) = s.Share(p);
            for (var i = start; i < start + count; i++)
                await channel.Writer.WriteAsync(i);
        })).ToArray();
        var readers = Enumerable.Range(0, s.Consumers).Select(_ => Task.Run(async () =>
        {
            long handled = 0;
            while (await channel.Reader.WaitToReadAsync())
            {
                while (channel.Reader.TryRead(out var item))
                {
                    await s.Work.RunAsync(item);
                    handled++;
                }
            }

            return handled;
        })).ToArray();
        await Task.WhenAll(writers);
        channel.Writer.Complete();
        return (await Task.WhenAll(readers)).Sum();
    }

    public async Task RunPacedAsync(int capacity, MicroDelay clock, TimeSpan duration, Action<long> onStart)
    {
        var channel = Channel.CreateBounded<long>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.Wait });
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            await foreach (var item in channel.Reader.ReadAllAsync())
                onStart(item);
        })).ToArray();
        await foreach (var stamp in Paced.Timestamps(clock, duration))
            await channel.Writer.WriteAsync(stamp);
        channel.Writer.Complete();
        await Task.WhenAll(readers);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>TPL Dataflow: BufferBlock linked to ActionBlock (MaxDegreeOfParallelism = C).</summary>
/// <remarks>
/// At equal capacity the two blocks hold N in all (the ActionBlock's BoundedCapacity counts the items being handled);
/// at its defaults each holds B. Each writer may also wait with one postponed item.
/// </remarks>
internal sealed class DataflowSystem : IPipelineSystem
{
    public string Name => "Dataflow";

    public long InFlightBound(Scenario s)
    {
        var (buffer, action) = Capacities(s.Sizing, s.Size, s.Consumers);
        return buffer + action + s.Producers;
    }

    private static (int Buffer, int Action) Capacities(Sizing sizing, int size, int consumers)
    {
        if (sizing == Sizing.Defaults)
            return (size, size);
        var action = Math.Min(size - 1, Math.Max(consumers, size / 2));
        return (size - action, action);
    }

    public async Task<long> RunAsync(Scenario s)
    {
        long handled = 0;
        var work = s.Work;
        var (bufferCapacity, actionCapacity) = Capacities(s.Sizing, s.Size, s.Consumers);
        var (buffer, action) = Build(bufferCapacity, work.IsSynchronous
            ? new ActionBlock<long>(item =>
            {
                work.Run(item);
                Interlocked.Increment(ref handled);
            }, Options(actionCapacity, s.Consumers))
            : new ActionBlock<long>(async item =>
            {
                await work.RunAsync(item);
                Interlocked.Increment(ref handled);
            }, Options(actionCapacity, s.Consumers)));
        var writers = Enumerable.Range(0, s.Producers).Select(p => Task.Run(async () =>
        {
            var (start, count) = s.Share(p);
            for (var i = start; i < start + count; i++)
                await buffer.SendAsync(i);
        })).ToArray();
        await Task.WhenAll(writers);
        buffer.Complete();
        await action.Completion;
        return handled;
    }

    public async Task RunPacedAsync(int capacity, MicroDelay clock, TimeSpan duration, Action<long> onStart)
    {
        var (bufferCapacity, actionCapacity) = Capacities(Sizing.Capacity, capacity, 2);
        var (buffer, action) = Build(bufferCapacity, new ActionBlock<long>(onStart, Options(actionCapacity, 2)));
        await foreach (var stamp in Paced.Timestamps(clock, duration))
            await buffer.SendAsync(stamp);
        buffer.Complete();
        await action.Completion;
    }

    private static ExecutionDataflowBlockOptions Options(int capacity, int consumers) =>
        new() { MaxDegreeOfParallelism = consumers, BoundedCapacity = capacity };

    private static (BufferBlock<long>, ActionBlock<long>) Build(int buffer, ActionBlock<long> action)
    {
        var block = new BufferBlock<long>(new DataflowBlockOptions { BoundedCapacity = buffer });
        block.LinkTo(action, new DataflowLinkOptions { PropagateCompletion = true });
        return (block, action);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>Akka.Streams alone: Source.Queue(Backpressure) fed by one writer → SelectAsyncUnordered(C).</summary>
/// <remarks>
/// CPU work runs in <c>Task.Run</c> so that C consumers can use C cores; other work runs in the mapper. At equal
/// capacity every stage's input buffer is 1 and the queue gets the rest of N: the writer's pending offer, the
/// queue, the mapper's input buffer and its C elements in work hold N in all. At its defaults the queue holds B and
/// the stages keep Akka's default input buffers.
/// </remarks>
internal sealed class AkkaStreamsSystem : IPipelineSystem
{
    private readonly ActorSystem _system = ActorSystem.Create("streams", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
    private readonly IMaterializer _materializer;

    public AkkaStreamsSystem() => _materializer = _system.Materializer();

    public string Name => "Akka.Streams";

    private int DefaultInputBuffer => _system.Settings.Config.GetInt("akka.stream.materializer.max-input-buffer-size");

    public long InFlightBound(Scenario s) =>
        s.Sizing == Sizing.Capacity ? 1 + QueueSize(s.Size, s.Consumers) + 1 + s.Consumers : 1 + s.Size + DefaultInputBuffer + s.Consumers;

    private static int QueueSize(int capacity, int consumers) => Math.Max(1, capacity - 2 - consumers);

    public async Task<long> RunAsync(Scenario s)
    {
        var work = s.Work;
        Func<long, Task<long>> mapper = work.Kind switch
        {
            WorkKind.Cpu => item => Task.Run(() =>
            {
                work.Run(item);
                return item;
            }),
            WorkKind.Async => async item =>
            {
                await work.RunAsync(item);
                return item;
            },
            _ => item =>
            {
                work.Run(item);
                return Task.FromResult(item);
            },
        };
        var graph = Source.Queue<long>(s.Sizing == Sizing.Capacity ? QueueSize(s.Size, s.Consumers) : s.Size, OverflowStrategy.Backpressure)
            .SelectAsyncUnordered(s.Consumers, mapper)
            .ToMaterialized(Sink.Aggregate<long, long>(0, (n, _) => n + 1), Keep.Both);
        var (queue, done) = (s.Sizing == Sizing.Capacity ? graph.WithAttributes(Attributes.CreateInputBuffer(1, 1)) : graph).Run(_materializer);

        // One writer: Source.Queue allows a single pending offer. It interleaves the P producers' shares.
        var shares = Enumerable.Range(0, s.Producers).Select(s.Share).ToArray();
        var next = shares.Select(x => x.Start).ToArray();
        for (var sent = 0L; sent < s.Items;)
        {
            for (var p = 0; p < shares.Length; p++)
            {
                if (next[p] >= shares[p].Start + shares[p].Count)
                    continue;
                await queue.OfferAsync(next[p]++);
                sent++;
            }
        }

        queue.Complete();
        return await done;
    }

    public async Task RunPacedAsync(int capacity, MicroDelay clock, TimeSpan duration, Action<long> onStart)
    {
        var (queue, done) = Source.Queue<long>(QueueSize(capacity, 2), OverflowStrategy.Backpressure)
            .SelectAsyncUnordered(2, item =>
            {
                onStart(item);
                return Task.FromResult(item);
            })
            .ToMaterialized(Sink.Ignore<long>(), Keep.Both)
            .WithAttributes(Attributes.CreateInputBuffer(1, 1))
            .Run(_materializer);
        await foreach (var stamp in Paced.Timestamps(clock, duration))
            await queue.OfferAsync(stamp);
        queue.Complete();
        await done;
    }

    public async ValueTask DisposeAsync() => await _system.Terminate();
}
