using Akka.Actor;

namespace ActorPipeline.Internal;

/// <summary>A message the dispatch stage receives from the pipeline's supervisor.</summary>
internal interface IDispatchCommand;

/// <summary>The dispatch stage runs, and <paramref name="Stage"/> reaches it; told to the supervisor.</summary>
internal sealed record DispatchStarted(IActorRef Stage) : ISupervisorMessage;

/// <summary>The pipeline is aborting: items that have not reached a consumer fail, now and as they arrive.</summary>
internal sealed record AbortDispatch : IDispatchCommand
{
    public static AbortDispatch Instance { get; } = new();
}

/// <summary>The stop deadline has passed: every item not finished fails as abandoned.</summary>
internal sealed record AbandonUnfinished : IDispatchCommand
{
    public static AbandonUnfinished Instance { get; } = new();
}
