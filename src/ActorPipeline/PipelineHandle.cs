using ActorPipeline.Internal;
using Akka.Actor;

namespace ActorPipeline;

/// <summary>A running pipeline: await its report, query its status, or stop it early.</summary>
public sealed class PipelineHandle
{
    private readonly PipelineCounters _counters;

    internal PipelineHandle(string name, IActorRef actor, PipelineSettings settings, int capacity, PipelineCounters counters, Task<PipelineReport> completion)
    {
        _counters = counters;
        Name = name;
        Actor = actor;
        Settings = settings;
        Capacity = capacity;
        Completion = completion;
    }

    /// <summary>The pipeline's name, also its actor's name.</summary>
    public string Name { get; }

    /// <summary>The pipeline's supervisor actor; producers send it <see cref="RegisterProducer"/>.</summary>
    public IActorRef Actor { get; }

    /// <summary>The settings the pipeline runs with.</summary>
    public PipelineSettings Settings { get; }

    /// <summary>Completes with the report when the run ends; faults with <see cref="PipelineFaultedException"/> if the pipeline breaks.</summary>
    public Task<PipelineReport> Completion { get; }

    /// <summary>The most items this pipeline holds at once, from all its producers together: the settings' capacity, or for
    /// <c>auto</c> the one sized for the producers it started with.</summary>
    public int Capacity { get; }

    /// <summary>The current counts, consistent with one another at one moment; after completion, the counts of the report.</summary>
    /// <remarks>Read from the pipeline's counters, not asked of its actor: it answers at once, also while the actor is busy.</remarks>
    public Task<PipelineStatus> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        if (!Completion.IsCompleted)
            return Task.FromResult(_counters.Status());

        var report = Completion.IsCompletedSuccessfully
            ? Completion.GetAwaiter().GetResult()
            : (Completion.Exception?.InnerException as PipelineFaultedException)?.Report;
        return Task.FromResult(report is null
            ? new PipelineStatus(Name, PipelineState.Completed, 0, 0, 0, 0, 0, 0)
            : new PipelineStatus(Name, PipelineState.Completed, report.Produced, report.Succeeded, report.Failed, report.Retried, 0, 0)
            {
                ProcessedByConsumer = report.ProcessedByConsumer,
                Elapsed = report.Elapsed,
            });
    }

    /// <summary>Stops the producers, finishes what they sent, and completes; whatever is unfinished at the deadline is failed.</summary>
    /// <remarks>Registered producer actors receive <see cref="StopProducing"/> and are let go at once; items they send after it are refused.</remarks>
    /// <param name="deadline">How long draining may take; <c>stop-timeout</c> when not given.</param>
    public Task<PipelineReport> DrainAsync(TimeSpan? deadline = null)
    {
        Actor.Tell(new StopPipeline(Abort: false, deadline ?? Settings.StopTimeout));
        return Completion;
    }

    /// <summary>Stops the producers and fails every item not yet handed to a consumer; items already at consumers finish until the deadline.</summary>
    /// <param name="deadline">How long aborting may take; <c>stop-timeout</c> when not given.</param>
    public Task<PipelineReport> AbortAsync(TimeSpan? deadline = null)
    {
        Actor.Tell(new StopPipeline(Abort: true, deadline ?? Settings.StopTimeout));
        return Completion;
    }
}
