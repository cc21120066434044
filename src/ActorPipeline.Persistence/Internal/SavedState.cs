using System.Text.Json;
using System.Text.Json.Nodes;

namespace ActorPipeline.Persistence.Internal;

/// <summary>What one resumable source's earlier runs left: where to resume, the spans to pass over, the furthest position
/// read, and whether every item finished.</summary>
internal sealed record SavedSource(JsonNode? From, IReadOnlyList<(JsonNode Low, JsonNode High)> Done, JsonNode? Max, bool Ended);

/// <summary>A durable pipeline's state as one event holds it: the items finished in all runs so far, counted once, and
/// each source's progress.</summary>
/// <remarks>Each event is the whole state, small whatever the run's length (spans lie between unfinished items), so a
/// recovery needs the last event only and older ones are deleted as the run goes. JSON, so that it can be read by a
/// person who opens the store.</remarks>
internal sealed record SavedState(long Succeeded, long Failed, IReadOnlyDictionary<string, SavedSource> Sources)
{
    // Raised when the layout changes; a state of another format is refused by name, never read as something else.
    private const int Format = 1;

    public static SavedState Empty { get; } = new(0, 0, new Dictionary<string, SavedSource>());

    public static byte[] Write(string id, long succeeded, long failed, IEnumerable<KeyValuePair<string, JsonObject>> sources, bool finished = false)
    {
        var bySource = new JsonObject();
        foreach (var (name, progress) in sources)
            bySource[name] = progress;
        var state = new JsonObject
        {
            ["format"] = Format,
            ["pipeline"] = id,
            ["succeeded"] = succeeded,
            ["failed"] = failed,
            ["finished"] = finished,
            ["sources"] = bySource,
        };
        return JsonSerializer.SerializeToUtf8Bytes(state);
    }

    /// <summary>Reads an event written by <see cref="Write"/>; what is not one is refused naming <paramref name="store"/>.
    /// The state of a run that finished every item, kept for inspection, reads as none: the next run starts afresh.</summary>
    public static SavedState? Read(object @event, string id, string store)
    {
        try
        {
            if (@event is not byte[] bytes || JsonNode.Parse(bytes) is not JsonObject state || state["format"] is null)
                throw Foreign(null);
            var format = state["format"]!.GetValue<int>();
            if (format != Format)
                throw new DurableStateException(
                    $"The state of durable pipeline '{id}' in {store} has format {format}; this version reads format {Format}.");
            if (state["pipeline"]?.GetValue<string>() != id)
                throw Foreign(null);
            if (state["finished"]?.GetValue<bool>() == true)
                return null;
            var sources = new Dictionary<string, SavedSource>();
            foreach (var (name, node) in state["sources"]!.AsObject())
            {
                var source = node!.AsObject();
                var done = source["done"]!.AsArray().Select(pair => (pair![0]!.DeepClone(), pair[1]!.DeepClone())).ToArray();
                sources[name] = new SavedSource(source["from"]?.DeepClone(), done, source["max"]?.DeepClone(), source["ended"]!.GetValue<bool>());
            }

            return new SavedState(state["succeeded"]!.GetValue<long>(), state["failed"]!.GetValue<long>(), sources);
        }
        catch (DurableStateException)
        {
            throw;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or NullReferenceException)
        {
            throw Foreign(e);
        }

        DurableStateException Foreign(Exception? cause) => new(
            $"The state of durable pipeline '{id}' in {store} is not an ActorPipeline state (corrupted, or written by something else); " +
            "it is left as it is: remove it, or give the pipeline another id, to start afresh.", cause);
    }
}
