using System.Collections.Concurrent;
using System.Diagnostics;
using ActorPipeline.Cluster;
using Akka.Actor;
using Akka.Actor.Internal;
using Akka.Configuration;

namespace ActorPipeline.Benchmarks;

/// <summary><c>max-rate = 1000</c> across a cluster: a front node and two workers in this process, on 127.0.0.1 with free
/// ports, the consumers (two per worker) on the workers. Starts are counted over 10 s from 1 s after the first.</summary>
internal static class ClusterRate
{
    private const string SystemName = "rate-bench";

    /// <summary>Records when each item's handler starts, on whichever node it runs.</summary>
    public sealed class StartRecorder : IItemHandler<long>
    {
        public static readonly ConcurrentQueue<(long At, int Port)> Starts = new();

        public ValueTask HandleAsync(long item, CancellationToken cancellationToken)
        {
            Starts.Enqueue((Stopwatch.GetTimestamp(), InternalCurrentActorCellKeeper.Current?.SystemImpl.Provider.DefaultAddress.Port ?? 0));
            return ValueTask.CompletedTask;
        }
    }

    public static async Task<bool> RunAsync()
    {
        // Nodes that stop as the run ends log their lost connections as errors: the bench's output is its figures.
        var quiet = ConfigurationFactory.ParseString("akka.loglevel = OFF");
        var front = ActorSystem.Create(SystemName, ClusterPipeline.PoolDeployment("rate", 2).WithFallback(quiet)
            .WithFallback(ClusterPipeline.NodeConfig(SystemName, new PipelineClusterOptions())));
        ClusterPipeline.Join(front, new PipelineClusterOptions());
        var seed = Akka.Cluster.Cluster.Get(front).SelfAddress.ToString();
        var options = new PipelineClusterOptions { SeedNodes = [seed], Roles = [ClusterPipeline.WorkerRole] };
        var workers = Enumerable.Range(0, 2).Select(_ => ActorSystem.Create(SystemName, quiet.WithFallback(ClusterPipeline.NodeConfig(SystemName, options)))).ToArray();
        try
        {
            foreach (var worker in workers)
                ClusterPipeline.Join(worker, options);
            var cluster = Akka.Cluster.Cluster.Get(front);
            while (cluster.State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up) < 3)
                await Task.Delay(50);

            StartRecorder.Starts.Clear();
            var report = await Pipeline.Create<long>(front, "rate")
                .WithSettings(s => s.WithMaxRate(1000))
                .WithSource(_ => Paced.Range(0, 12_000))
                .WithHandler<StartRecorder>()
                .Start().Completion;
            var starts = StartRecorder.Starts.ToArray();
            var from = starts.Min(s => s.At) + Stopwatch.Frequency;
            var to = from + 10 * Stopwatch.Frequency;
            var inWindow = starts.Count(s => s.At >= from && s.At < to);
            var nodes = starts.Select(s => s.Port).Distinct().Count();
            Console.WriteLine($"  across two workers: {inWindow / 10.0:0} items/s over 10 s ({Waits.Deviation(inWindow / 10.0, 1000)} from 1000); " +
                $"{report.Succeeded:N0} items on {nodes} nodes");
            return report.Succeeded == 12_000 && nodes == 2;
        }
        finally
        {
            // The workers leave first, so that nobody is told of a node lost as the run ends.
            await Task.WhenAll(workers.Select(worker => Akka.Cluster.Cluster.Get(worker).LeaveAsync()));
            foreach (var system in workers.Append(front))
                await system.Terminate();
        }
    }
}
