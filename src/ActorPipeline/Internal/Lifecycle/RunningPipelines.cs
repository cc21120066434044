using System.Collections.Concurrent;
using Akka;
using Akka.Actor;
using Akka.Event;

namespace ActorPipeline.Internal;

/// <summary>The pipelines running in one ActorSystem, drained together when the system shuts down.</summary>
/// <remarks>
/// CoordinatedShutdown tasks cannot be removed once added, so a task per pipeline would keep every finished pipeline
/// alive for the life of the system. Instead one task per system, added when the first pipeline starts, drains
/// whatever is running in the <c>service-requests-done</c> phase. The drain's deadline ends a fifth of the phase's
/// timeout (at least 100 ms) before the phase does: with both at the same moment, the phase sometimes ended first and
/// the system terminated the pipeline before its report was complete.
/// </remarks>
internal sealed class RunningPipelines : IExtension
{
    /// <summary>The CoordinatedShutdown phase in which running pipelines drain.</summary>
    public const string DrainPhase = "service-requests-done";

    private readonly ConcurrentDictionary<PipelineHandle, bool> _running = new();

    public RunningPipelines(ExtendedActorSystem system)
    {
        // The library's defaults join the system's configuration, where Akka looks up dispatchers (blocking-handlers).
        system.Settings.InjectTopLevelFallback(PipelineSettings.DefaultConfig());

        // Subscribed here, before any pipeline of the system exists: an actor that subscribes itself does so when it
        // starts, and a pipeline that completed before that had its late messages go unanswered.
        var refusals = system.SystemActorOf(Props.Create<LateMessageRefusals>(), "actor-pipeline-late-messages");
        system.EventStream.Subscribe(refusals, typeof(DeadLetter));

        // A pipeline's stream keeps timers. The ActorSystem's scheduler starts its clock on first use, on a thread-pool
        // thread, and every caller waits for it meanwhile: started here, on the thread that starts the first pipeline,
        // so that hundreds of pipelines starting at once never block pool threads on it.
        system.Scheduler.Advanced.ScheduleOnce(TimeSpan.Zero, static () => { });
        var shutdown = CoordinatedShutdown.Get(system);
        var deadline = DrainDeadline(shutdown.Timeout(DrainPhase));
        shutdown.AddTask(DrainPhase, "drain-actor-pipelines", async () =>
        {
            var draining = _running.Keys.Select(p => p.DrainAsync(p.Settings.StopTimeout < deadline ? p.Settings.StopTimeout : deadline));
            try
            {
                await Task.WhenAll(draining).ConfigureAwait(false);
            }
            catch (PipelineFaultedException)
            {
                // A pipeline that faults while draining has reported it through its own Completion.
            }

            return Done.Instance;
        });
    }

    /// <summary>The latest deadline a pipeline's drain gets within a phase of <paramref name="phaseTimeout"/>: the time
    /// left after it is the margin in which the pipeline fails what is unfinished and completes its report.</summary>
    public static TimeSpan DrainDeadline(TimeSpan phaseTimeout) => TimeSpan.FromTicks(Math.Max(
        TimeSpan.TicksPerMillisecond, phaseTimeout.Ticks - Math.Max(phaseTimeout.Ticks / 5, TimeSpan.TicksPerMillisecond * 100)));

    /// <summary>The types this system's pipelines and hosted handlers expect from other nodes.</summary>
    public WireTypes WireTypes { get; } = new();

    /// <summary>How many pipelines are running.</summary>
    public int Count => _running.Count;

    public static RunningPipelines For(ActorSystem system) => system.WithExtension<RunningPipelines, Provider>();

    /// <summary>Tracks <paramref name="pipeline"/> until its report completes.</summary>
    public void Track(PipelineHandle pipeline)
    {
        _running.TryAdd(pipeline, true);
        pipeline.Completion.ContinueWith(
            static (completion, state) =>
            {
                var (running, handle) = ((ConcurrentDictionary<PipelineHandle, bool>, PipelineHandle))state!;
                running.TryRemove(handle, out _);
            },
            (_running, pipeline),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private sealed class Provider : ExtensionIdProvider<RunningPipelines>
    {
        public override RunningPipelines CreateExtension(ExtendedActorSystem system) => new(system);
    }
}
