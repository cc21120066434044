using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using ActorPipeline.Internal;
using Akka.Actor;

namespace ActorPipeline.Persistence.Internal;

/// <summary>What makes one pipeline durable: its id, its store and its resumable sources; begins a run when it starts.</summary>
internal sealed class DurablePipeline : IDurability
{
    private static readonly ConditionalWeakTable<object, DurablePipeline> ForBuilder = new();

    // The ids of the durable pipelines running in each ActorSystem: two runs of one id would write over each other.
    private static readonly ConditionalWeakTable<ActorSystem, ConcurrentDictionary<string, byte>> Running = new();

    private readonly List<IResumableSource> _sources = [];
    private ActorSystem? _system;

    public string? Id { get; private set; }

    public DurableStore? Store { get; private set; }

    public DurableOptions Options { get; private set; } = DurableOptions.Default;

    /// <summary>The run under way, once the pipeline started.</summary>
    public DurableRun? Current { get; private set; }

    /// <summary>The durable side of <paramref name="builder"/>, made on first use.</summary>
    public static DurablePipeline Of(object builder) => ForBuilder.GetValue(builder, _ => new DurablePipeline());

    public void MakeDurable(string id, DurableStore store, DurableOptions options, ActorSystem system)
    {
        if (Id is not null)
            throw new InvalidOperationException($"The pipeline is durable already, with id '{Id}'; give its durability once.");
        (Id, Store, Options, _system) = (id, store, options, system);
    }

    /// <summary>A resumable source the pipeline runs, in the order of its sources.</summary>
    public void Add(IResumableSource source) => _sources.Add(source);

    public string? Refuses(PipelineSettings settings, IReadOnlyList<string> sources, int actorProducers)
    {
        if (actorProducers > 0)
            return "an actor producer's items are not journaled; a durable pipeline takes its items from resumable sources (WithResumableSource).";
        if (sources.Count == 0)
            return "it has no resumable source (WithResumableSource).";
        if (sources.FirstOrDefault(name => _sources.All(s => s.Name != name)) is { } plain)
            return $"source '{plain}' is not resumable: a durable pipeline takes its items from resumable sources (WithResumableSource), whose items carry positions.";
        if (settings.Overflow != OverflowMode.Backpressure)
            return $"overflow = {PipelineSettings.OverflowName(settings.Overflow)} drops items, and a durable pipeline keeps every item it took; use backpressure.";
        if (settings.ResultsInOrder)
            return "results-in-order is not offered with durability.";
        Store!.Check();
        // Taken here, as the pipeline starts, so that a second Start of the id is refused at once.
        if (!Running.GetOrCreateValue(_system!).TryAdd(Id!, 0))
            return $"a durable pipeline with id '{Id}' is running in this ActorSystem; two runs of one id would write over each other's state.";
        return null;
    }

    public void StartFailed() => Running.GetOrCreateValue(_system!).TryRemove(Id!, out _);

    public IDurableRun Begin(IActorContext context, string pipeline, PipelineCounters counters)
    {
        var id = Id!;
        var running = Running.GetOrCreateValue(_system!);
        var run = Current = new DurableRun(id, Store!, _sources, counters, release: () => running.TryRemove(id, out _));
        try
        {
            run.Open(context, Store!.PluginId(context.System), Options);
        }
        catch (Exception e)
        {
            run.JournalStopped(e as DurableStateException ?? new DurableStateException($"The journal of durable pipeline '{id}' in {Store} could not start: {e.Message}", e));
        }

        return run;
    }
}
