using System.Diagnostics;
using System.Runtime.CompilerServices;
using ActorPipeline.Persistence;
using Akka.Configuration;

namespace ActorPipeline.Benchmarks;

/// <summary>What durability costs (capacity 1024, P=3, C=2): a durable pipeline on a SQLite file (and on PostgreSQL, when
/// ACTORPIPELINE_POSTGRES names a server) against the same pipeline in memory, for trivial and ~2 µs CPU items, and the
/// durable one against a bounded channel of the same capacity for trivial items; and the size of the state file after
/// runs of two lengths.</summary>
/// <remarks>The runs of a comparison alternate, five of each after one of each to warm up, and the medians are compared.
/// Both pipelines take their items from resumable sources (positions are the items); each durable run has a file of its
/// own. Every run checks that each item succeeded once (the sum of the items).</remarks>
internal static class Durable
{
    private const int Producers = 3;
    private const int Consumers = 2;
    private const int Capacity = 1024;

    public static async Task<int> RunAsync(bool quick)
    {
        using var system = Pipeline.CreateSystem("durable", ConfigurationFactory.ParseString("akka.loglevel = WARNING"));
        var folder = Directory.CreateTempSubdirectory("actorpipeline-durable-bench-").FullName;
        using var delay = new MicroDelay(TimeSpan.FromMicroseconds(50));
        var (trivial, cpu) = Work.TrivialAndCpu(delay);
        var scale = quick ? 4 : 1;
        var ok = true;
        var runs = 0;
        string NextFile() => Path.Combine(folder, $"run-{runs++}.db");
        try
        {
            Console.WriteLine($"Capacity {Capacity}, P={Producers}, C={Consumers}, SQLite on {folder}; medians of 5 alternating runs after one of each.");
            Console.WriteLine("Durable ÷ in memory:");
            ok &= await Alternating.CompareAsync("trivial", 6_000_000 / scale, n => RunOneAsync(system, trivial, n, NextFile()), n => RunOneAsync(system, trivial, n, null), labelWidth: 12);
            ok &= await Alternating.CompareAsync("~2 µs CPU", 1_200_000 / scale, n => RunOneAsync(system, cpu, n, NextFile()), n => RunOneAsync(system, cpu, n, null), labelWidth: 12);
            if (Environment.GetEnvironmentVariable("ACTORPIPELINE_POSTGRES") is { } postgres)
            {
                Console.WriteLine("Durable on PostgreSQL (ACTORPIPELINE_POSTGRES) ÷ in memory:");
                ok &= await Alternating.CompareAsync("trivial", 6_000_000 / scale, n => RunOneAsync(system, trivial, n, postgres), n => RunOneAsync(system, trivial, n, null), labelWidth: 12);
                ok &= await Alternating.CompareAsync("~2 µs CPU", 1_200_000 / scale, n => RunOneAsync(system, cpu, n, postgres), n => RunOneAsync(system, cpu, n, null), labelWidth: 12);
            }

            Console.WriteLine("Durable on Akka.Persistence's in-memory journal ÷ in memory (what tracking costs without the writes):");
            ok &= await Alternating.CompareAsync("trivial", 6_000_000 / scale, n => RunOneAsync(system, trivial, n, InMemoryJournal), n => RunOneAsync(system, trivial, n, null), labelWidth: 12);
            ok &= await Alternating.CompareAsync("~2 µs CPU", 1_200_000 / scale, n => RunOneAsync(system, cpu, n, InMemoryJournal), n => RunOneAsync(system, cpu, n, null), labelWidth: 12);
            Console.WriteLine("Durable ÷ a bounded channel of the same capacity:");
            var channel = new ChannelSystem();
            ok &= await Alternating.CompareAsync("trivial", 6_000_000 / scale, n => RunOneAsync(system, trivial, n, NextFile()),
                async n =>
                {
                    var clock = Stopwatch.StartNew();
                    var handled = await channel.RunAsync(new Scenario(Producers, Consumers, Sizing.Capacity, Capacity, trivial, n));
                    return handled == n ? n / clock.Elapsed.TotalSeconds : 0;
                }, labelWidth: 12);

            Console.WriteLine("Recovery: a run of 10 M trivial items whose ActorSystem stops without a drain at 50 %, then the same run again:");
            var (first, total, recovered) = await RecoveryAsync(system, trivial, 10_000_000 / scale, NextFile());
            Console.WriteLine($"  first item handed to a consumer {first.TotalMilliseconds:N0} ms after Start(), the rest done after {total.TotalSeconds:N2} s; {recovered:N0} items taken up again");

            Console.WriteLine("State file after a run stopped at 90 % (the largest state: a run that ends cleanly clears it):");
            foreach (var n in new[] { 2_000_000L / scale, 20_000_000L / scale })
            {
                var file = NextFile();
                var size = await StoppedRunSizeAsync(system, trivial, n, file);
                Console.WriteLine($"  N={n,11:N0}: {size / 1024.0:N0} KiB");
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }

        return ok ? 0 : 1;
    }

    private static int _runs;

    // Instead of a file: Akka.Persistence's in-memory journal.
    private const string InMemoryJournal = "inmem";

    // Items per second, or 0 when an item was lost or handled twice; stateFile is a file, a connection string or InMemoryJournal.
    private static async Task<double> RunOneAsync(Akka.Actor.ActorSystem system, Work work, long items, string? stateFile)
    {
        var share = items / Producers;
        long sum = 0;
        var builder = Pipeline.Create<long>(system, $"run-{_runs++}")
            .WithSettings(s => s.WithCapacity(Capacity).WithConsumers(Consumers))
            .WithHandler(item =>
            {
                work.Run(item);
                Interlocked.Add(ref sum, item);
            });
        if (stateFile is not null)
            builder.WithDurability($"bench-{_runs}", stateFile switch
            {
                InMemoryJournal => DurableStore.Journal("akka.persistence.journal.inmem"),
                _ when stateFile.Contains('=') => DurableStore.PostgreSql(stateFile),
                _ => DurableStore.Sqlite(stateFile),
            });
        for (var p = 0; p < Producers; p++)
        {
            var start = p * share;
            builder.WithResumableSource<long, long>($"p{p}", (from, _) => Range(start, share, from));
        }

        var clock = Stopwatch.StartNew();
        var report = await builder.Start().Completion;
        var seconds = clock.Elapsed.TotalSeconds;
        var total = share * Producers;
        return report.Succeeded == total && Interlocked.Read(ref sum) == total * (total - 1) / 2 ? total / seconds : 0;
    }

    // A run stopped abruptly halfway, then resumed: how soon the resumed run hands its first item to a consumer.
    private static async Task<(TimeSpan FirstItem, TimeSpan Done, long Recovered)> RecoveryAsync(Akka.Actor.ActorSystem system, Work work, long items, string stateFile)
    {
        var share = items / Producers;
        PipelineBuilder<long> Build(Akka.Actor.ActorSystem on, Action<long> handle)
        {
            var builder = Pipeline.Create<long>(on, $"run-{_runs++}")
                .WithSettings(s => s.WithCapacity(Capacity).WithConsumers(Consumers))
                .WithDurability("bench-recovery", DurableStore.Sqlite(stateFile))
                .WithHandler(handle);
            for (var p = 0; p < Producers; p++)
            {
                var start = p * share;
                builder.WithResumableSource<long, long>($"p{p}", (from, _) => Range(start, share, from));
            }

            return builder;
        }

        long handled = 0;
        var crashing = Pipeline.CreateSystem("crashing", ConfigurationFactory.ParseString(
            "akka.loglevel = OFF\nakka.coordinated-shutdown.run-by-actor-system-terminate = off"));
        Build(crashing, item =>
        {
            work.Run(item);
            Interlocked.Increment(ref handled);
        }).Start();
        while (Interlocked.Read(ref handled) < items / 2)
            await Task.Delay(5);
        await crashing.Terminate();

        var clock = Stopwatch.StartNew();
        long firstAt = 0;
        var report = await Build(system, item =>
        {
            if (Interlocked.Read(ref firstAt) == 0)
                Interlocked.CompareExchange(ref firstAt, Math.Max(1, clock.ElapsedTicks), 0);
            work.Run(item);
        }).Start().Completion;
        return (TimeSpan.FromSeconds((double)firstAt / Stopwatch.Frequency), clock.Elapsed, report.Recovered);
    }

    // The state left by a run drained at 90 % of its items: what a crash there would leave, written in full.
    private static async Task<long> StoppedRunSizeAsync(Akka.Actor.ActorSystem system, Work work, long items, string stateFile)
    {
        var share = items / Producers;
        long handled = 0;
        var builder = Pipeline.Create<long>(system, $"run-{_runs++}")
            .WithSettings(s => s.WithCapacity(Capacity).WithConsumers(Consumers))
            .WithDurability($"bench-{_runs}", DurableStore.Sqlite(stateFile))
            .WithHandler(item =>
            {
                work.Run(item);
                Interlocked.Increment(ref handled);
            });
        for (var p = 0; p < Producers; p++)
        {
            var start = p * share;
            builder.WithResumableSource<long, long>($"p{p}", (from, _) => Range(start, share, from));
        }

        var pipeline = builder.Start();
        while (Interlocked.Read(ref handled) < items * 9 / 10)
            await Task.Delay(10);
        await pipeline.DrainAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        return new FileInfo(stateFile).Length + (File.Exists(stateFile + "-wal") ? new FileInfo(stateFile + "-wal").Length : 0);
    }

    private static async IAsyncEnumerable<(long Item, long Position)> Range(long start, long count, ResumePoint<long> from)
    {
        for (var i = from.HasPosition ? from.Position : start; i < start + count; i++)
            yield return (i, i);
        await Task.CompletedTask;
    }

}
