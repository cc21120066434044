using System.Diagnostics;
using ActorPipeline.Cluster;
using ActorPipeline.Cluster.Hosting;
using ActorPipeline.Hosting;
using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace ActorPipeline.Host;

/// <summary>One job of the host: which pipeline to build and how to show it.</summary>
/// <param name="Job">The job's name in configuration (<c>ActorPipeline:Demo</c>, …).</param>
/// <param name="Pipeline">The pipeline's name (its HOCON section is <c>actor-pipeline.pipelines.&lt;name&gt;</c>).</param>
/// <param name="Configure">Adds sources, handler, settings and callbacks to the builder.</param>
internal sealed record JobRun<T>(string Job, string Pipeline, Action<PipelineBuilder<T>> Configure)
{
    /// <summary>Log at information level.</summary>
    public bool Verbose { get; init; }

    /// <summary>No progress and no summary.</summary>
    public bool Quiet { get; init; }

    /// <summary>The cluster flags given; with those or the configuration's, the consumers run on the cluster's workers.</summary>
    public ClusterRequest? Cluster { get; init; }

    /// <summary>Routees on each worker node when the job runs across a cluster.</summary>
    public int RouteesPerNode { get; init; } = 1;

    /// <summary>--chart: where to draw the run once it is over.</summary>
    public string? Chart { get; init; }

    /// <summary>--otel: where the job's traces and metrics go, if anywhere.</summary>
    public HostTelemetry? Telemetry { get; init; }
}

/// <summary>Runs a job's pipeline in the Generic Host, shows its progress, answers interrupts and prints the summary.</summary>
internal static class JobRunner
{
    /// <summary>Runs <paramref name="job"/> to its end and returns its report (a faulted run's report too).</summary>
    public static async Task<PipelineReport> RunAsync<T>(Config config, JobRun<T> job, HostConsole console)
    {
        var phases = new Phases(job.Verbose ? console.Error : null);
        phases.Mark("job starting");
        var started = new TaskCompletionSource<PipelineHandle>(TaskCreationOptions.RunContinuationsAsynchronously);
        PipelineClusterOptions? cluster = null;
        using var host = JobHost.Build(config, job.Verbose, job.Job, job.Telemetry, console.Error, configuration =>
        {
            cluster = (job.Cluster ?? ClusterRequest.None).Resolve(config, configuration)?.Validate();
            return (akka, options) => AddPipeline(akka, options, job, cluster, started);
        });
        await host.StartAsync();
        if (cluster is not null)
            await AnnounceAsync(host, console);
        PipelineHandle pipeline;
        try
        {
            pipeline = await started.Task;
            phases.Mark("host, ActorSystem and pipeline started");
        }
        catch
        {
            // An unusable deployment or settings: stop the ActorSystem, and let HostApp say what is wrong.
            await host.StopAsync(CancellationToken.None);
            throw;
        }

        await using (console.Interrupts.Drain.Register(() =>
        {
            console.Error.WriteLine("interrupted: draining (items in flight finish; Ctrl+C again aborts)");
            _ = pipeline.DrainAsync();
        }))
        await using (console.Interrupts.Abort.Register(() =>
        {
            console.Error.WriteLine("interrupted again: aborting (items not yet started fail)");
            _ = pipeline.AbortAsync();
        }))
        {
            var bound = pipeline.Capacity;
            var progress = job.Quiet ? Task.CompletedTask
                : console.Live ? Progress.LiveAsync(pipeline, bound, console.Error)
                : Progress.LinesAsync(pipeline, bound, console.Error);
            var chart = job.Chart is null ? null : new RunChart();
            var sampling = chart?.SampleAsync(pipeline) ?? Task.CompletedTask;

            PipelineReport report;
            try
            {
                report = await pipeline.Completion;
            }
            catch (PipelineFaultedException e)
            {
                await console.Error.WriteLineAsync($"error: {e.Message}");
                report = e.Report;
            }
            phases.Mark("pipeline completed");

            try
            {
                await progress;
            }
            catch (Exception e)
            {
                // Showing progress must never cost the run or its results.
                await console.Error.WriteLineAsync($"warning: the progress display stopped: {e.Message}");
            }
            if (!job.Quiet)
                Summary.Write(report, pipeline.Settings, console.Error, console.Live);
            if (chart is not null)
            {
                await sampling;
                try
                {
                    chart.Write(job.Chart!, job.Pipeline, report, bound);
                    await console.Error.WriteLineAsync($"chart: {job.Chart}");
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
                {
                    // The run and its results stand; only the picture is missing.
                    await console.Error.WriteLineAsync($"warning: the chart could not be written to {job.Chart}: {e.Message}");
                }
            }
            await host.StopAsync(CancellationToken.None);
            phases.Mark("host stopped");
            return report;
        }
    }

    private static void AddPipeline<T>(
        AkkaConfigurationBuilder akka, ActorPipelineOptions options, JobRun<T> job, PipelineClusterOptions? cluster, TaskCompletionSource<PipelineHandle> started)
    {
        if (cluster is not null)
        {
            // The job's node is the front: the pipeline lives here, its consumers on the workers. A deployment of
            // the application's own for the pool wins over this one.
            akka.WithActorPipelineCluster(cluster);
            akka.AddHocon(ClusterPipeline.PoolDeployment(job.Pipeline, job.RouteesPerNode), HoconAddMode.Append);
        }

        akka.WithActorPipeline<T, JobPipeline<T>>(job.Pipeline, job.Configure, options, started.SetResult, e => started.TrySetException(e));
    }

    // Workers need this node's address to join it; with --port 0 only the started node knows it.
    private static async Task AnnounceAsync(Microsoft.Extensions.Hosting.IHost host, HostConsole console)
    {
        var system = host.Services.GetRequiredService<ActorSystem>();
        var address = Akka.Cluster.Cluster.Get(system).SelfAddress;
        var tls = address.Protocol.Contains("ssl", StringComparison.Ordinal) ? " --tls-cert NODE.pfx --tls-ca CA.pem" : "";
        await console.Error.WriteLineAsync(
            $"cluster: front node {address}; workers join with: actor-pipeline worker --seed-nodes {address.Host}:{address.Port}{tls}");
    }

    /// <summary>The exit code of a run: interrupted, some items or producers failed, or all succeeded.</summary>
    public static int ExitCode(PipelineReport report) =>
        report.Outcome is PipelineOutcome.Drained or PipelineOutcome.Aborted ? HostApp.Interrupted
        : report.Outcome == PipelineOutcome.Faulted || report.Failed > 0 || report.Producers.Any(p => p.Failure is not null) ? HostApp.ItemsFailed
        : HostApp.Success;

    /// <summary>With <c>--verbose</c>, when each phase of a run ends, since the process started: where a short job's time goes.</summary>
    private sealed class Phases(TextWriter? output)
    {
        private readonly DateTime _processStart = output is null ? default : Process.GetCurrentProcess().StartTime.ToUniversalTime();

        public void Mark(string phase) =>
            output?.WriteLine($"phase: {phase} at {(DateTime.UtcNow - _processStart).TotalMilliseconds:F0} ms since the process started"
                + $" ({System.Runtime.JitInfo.GetCompiledMethodCount()} methods compiled in {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:F0} ms so far)");
    }

    /// <summary>The registry key of a job's pipeline.</summary>
    private sealed class JobPipeline<T>;
}
