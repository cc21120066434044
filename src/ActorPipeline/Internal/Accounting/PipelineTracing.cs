using System.Diagnostics;

namespace ActorPipeline.Internal;

/// <summary>The <c>ActorPipeline</c> activity source: a <c>publish {pipeline}</c> span (kind Producer) when a producer's
/// items enter the pipeline, and a <c>process {pipeline}</c> span (kind Consumer) around a consumer's handling of a
/// chunk, its parent the first item's publish span and linked to every publish span its items came with, so that a
/// handler's own spans sit in the item's trace. Named and tagged by the OpenTelemetry messaging conventions.</summary>
/// <remarks>Nothing is created unless a listener samples the source: every entry point asks
/// <see cref="ActivitySource.HasListeners"/> first, and chunks then carry no trace contexts.</remarks>
internal static class PipelineTracing
{
    public const string SourceName = "ActorPipeline";

    public static readonly ActivitySource Source = new(SourceName, typeof(PipelineTracing).Assembly.GetName().Version?.ToString());

    /// <summary>Marks <paramref name="items"/> items of pipeline <paramref name="pipeline"/> entering it, under the
    /// current activity if there is one, else under <paramref name="parent"/> (the pipeline's start); returns the
    /// publish span's context to travel with the items, or null when nobody listens.</summary>
    public static ActivityContext[]? Publish(string pipeline, int items, ActivityContext parent)
    {
        if (!Source.HasListeners())
            return null;
        var context = Activity.Current?.Context ?? parent;
        using var publish = Source.StartActivity($"publish {pipeline}", ActivityKind.Producer, context);
        if (publish is null)
            return null;
        Tag(publish, pipeline, "publish", "send", items);
        return [publish.Context];
    }

    /// <summary>Starts the span of a consumer handling a chunk of <paramref name="items"/> items that came with
    /// <paramref name="traces"/>, as the current activity; null when nobody listens or the items carry no trace.</summary>
    public static Activity? StartProcess(string pipeline, int items, IReadOnlyList<ActivityContext>? traces)
    {
        if (traces is not { Count: > 0 } || !Source.HasListeners())
            return null;
        var links = traces.Count == 1 ? null : traces.Select(t => new ActivityLink(t));
        var process = Source.StartActivity($"process {pipeline}", ActivityKind.Consumer, traces[0], links: links);
        if (process is not null)
            Tag(process, pipeline, "process", "process", items);
        return process;
    }

    /// <summary>Ends a process span with what became of the chunk's items; <paramref name="abandoned"/> when the pipeline
    /// gave the chunk up at its stop deadline.</summary>
    public static void EndProcess(Activity? process, Activity? previous, int failed, int retried, int deferred, Exception? error, bool abandoned = false)
    {
        if (process is null)
            return;
        if (abandoned)
            process.AddEvent(new ActivityEvent("abandoned"));
        if (retried > 0)
            process.AddEvent(new ActivityEvent("retry", tags: new ActivityTagsCollection { ["actorpipeline.retries"] = retried }));
        if (deferred > 0)
            process.AddEvent(new ActivityEvent("retry later", tags: new ActivityTagsCollection { ["actorpipeline.items"] = deferred }));
        if (error is not null || failed > 0)
        {
            process.SetStatus(ActivityStatusCode.Error, error?.Message);
            process.SetTag("error.type", (error ?? new InvalidOperationException()).GetType().FullName);
            process.SetTag("actorpipeline.items.failed", failed);
        }

        process.Stop();
        Activity.Current = previous;
    }

    /// <summary>The union of two runs' trace contexts, when items of both travel in one chunk.</summary>
    public static ActivityContext[]? Join(ActivityContext[]? a, ActivityContext[]? b) =>
        a is null ? b : b is null ? a : [.. a.Union(b)];

    private static void Tag(Activity activity, string pipeline, string operation, string type, int items)
    {
        activity.SetTag("messaging.system", PipelineMetrics.System);
        activity.SetTag("messaging.destination.name", pipeline);
        activity.SetTag("messaging.operation.name", operation);
        activity.SetTag("messaging.operation.type", type);
        if (items > 1)
            activity.SetTag("messaging.batch.message_count", items);
    }
}
