using System.CommandLine;
using ActorPipeline.Benchmarks;

var quick = new Option<bool>("--quick") { Description = "Short runs (0.5 s, 3 per cell) instead of 2.2 s, 5 per cell." };
var json = new Option<FileInfo?>("--json") { Description = "Also write one JSON record per cell to this file." };
var chart = new Option<FileInfo?>("--chart") { Description = "Also draw items/s per system and cell to this PNG file." };
var markdown = new Option<FileInfo?>("--markdown") { Description = "Also write the markdown tables to this file." };
var systems = new Option<string[]>("--systems")
{
    Description = "Systems to run (ActorPipeline, Channel, Dataflow, Akka.Streams); all by default.",
    AllowMultipleArgumentsPerToken = true,
};
var work = new Option<WorkKind[]>("--work") { Description = "Kinds of work to run (trivial, cpu, async); all by default.", AllowMultipleArgumentsPerToken = true };
var capacities = new Option<int[]>("--capacities")
{
    Description = "Capacities to run with every system bounded to the same number of items in flight; 5, 64 and 1024 by default.",
    AllowMultipleArgumentsPerToken = true,
};
var buffers = new Option<int[]>("--buffers")
{
    Description = "Queue sizes to run with each system at its defaults (the second table); 5 and 1024 by default.",
    AllowMultipleArgumentsPerToken = true,
};
var skip = new Option<string[]>("--skip") { Description = "Parts to leave out: defaults, memory, latency.", AllowMultipleArgumentsPerToken = true };
var pipelineConfig = new Option<string?>("--pipeline-config") { Description = "HOCON applied to ActorPipeline, e.g. \"actor-pipeline.chunk-size = 256\"." };
var soak = new Option<int?>("--soak") { Description = "Instead of the matrix: run one pipeline at full speed for this many seconds, sampling memory (at the first --capacities value, else the first --buffers value)." };
var tenants = new Option<int[]>("--tenants")
{
    Description = "Instead of the matrix: start this many pipelines at once in one ActorSystem (one round per number), each with --tenant-items items.",
    AllowMultipleArgumentsPerToken = true,
};
var tenantItems = new Option<int>("--tenant-items") { Description = "Items per pipeline with --tenants.", DefaultValueFactory = _ => 1000 };
var blocking = new Option<int?>("--blocking")
{
    Description = "Instead of the matrix: this many consumers whose handler blocks for 50 ms, 25 items each, with blocking-handlers off and then on.",
};
var hops = new Option<bool>("--hops") { Description = "Instead of the matrix: the latency of 1, 2 and 3 hand-offs between actors, paced as the latency cell." };
var waits = new Option<bool>("--waits") { Description = "Instead of the matrix: items that fail for a second under a retry backoff against a clean run, and a pipeline held to max-rate = 1000." };
var batches = new Option<bool>("--batches") { Description = "Instead of the matrix: rows into SQLite, a batch handler (100 per transaction) against one row per item." };
var ordering = new Option<bool>("--ordering") { Description = "Instead of the matrix: results in order and ordering keys, each against the same pipeline without, at capacity 1024 (--quick: a quarter of the items)." };
var durable = new Option<bool>("--durable") { Description = "Instead of the matrix: a durable pipeline on SQLite against the same in memory and against a channel (capacity 1024), and the state file's size after two run lengths (--quick: a quarter of the items)." };
var drops = new Option<bool>("--drops") { Description = "Instead of the matrix: in each drop mode, the producers' rate with slow consumers against consumers that do nothing, and peak memory over 2 M and 20 M items (capacity 64; --quick: a quarter of the items a run)." };
var dropsChild = new Option<string[]>("--drops-child") { Hidden = true, AllowMultipleArgumentsPerToken = true };
var traced = new Option<bool>("--traced") { Description = "Run with a listener that samples every span of the ActorPipeline activity source (and drops them), to show what tracing costs." };
var memoryChild = new Option<string[]>("--memory-child") { Hidden = true, AllowMultipleArgumentsPerToken = true };

var root = new RootCommand("ActorPipeline side by side with a bounded channel, TPL Dataflow and Akka.Streams.")
{
    quick, json, chart, markdown, systems, work, capacities, buffers, skip, pipelineConfig, soak, tenants, tenantItems, blocking, hops, waits, batches, ordering, durable, drops, dropsChild, traced, memoryChild,
};
root.SetAction(async (parsed, _) =>
{
    using var listener = parsed.GetValue(traced) ? new System.Diagnostics.ActivityListener
    {
        ShouldListenTo = source => source.Name == "ActorPipeline",
        Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
    } : null;
    if (listener is not null)
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
    if (parsed.GetValue(memoryChild) is [var system, var items])
        return await MemoryProbe.RunChildAsync(system, long.Parse(items));
    if (parsed.GetValue(dropsChild) is [var mode, var dropItems])
        return await Drops.RunChildAsync(mode, long.Parse(dropItems));
    if (parsed.GetValue(drops))
        return await Drops.RunAsync(parsed.GetValue(quick));
    if (parsed.GetValue(batches))
        return await Batches.RunAsync();
    if (parsed.GetValue(durable))
        return await Durable.RunAsync(parsed.GetValue(quick));
    if (parsed.GetValue(ordering))
        return await Ordering.RunAsync(parsed.GetValue(quick));
    if (parsed.GetValue(waits))
        return await Waits.RunAsync();
    if (parsed.GetValue(hops))
        return await Hops.RunAsync(TimeSpan.FromSeconds(3));
    if (parsed.GetValue(blocking) is { } blockingConsumers)
        return await Blocking.RunAsync(blockingConsumers, 25 * blockingConsumers, TimeSpan.FromMilliseconds(50));
    if (parsed.GetValue(tenants) is { Length: > 0 } rounds)
        return await Tenants.RunAsync(rounds, parsed.GetValue(tenantItems));
    if (parsed.GetValue(soak) is { } seconds)
        return parsed.GetValue(capacities) is [var capacity, ..]
            ? await Soak.RunAsync(TimeSpan.FromSeconds(seconds), Sizing.Capacity, capacity)
            : await Soak.RunAsync(TimeSpan.FromSeconds(seconds), Sizing.Defaults, parsed.GetValue(buffers) is [var size, ..] ? size : 1024);

    var options = new BenchOptions(
        parsed.GetValue(quick), parsed.GetValue(systems) is { Length: > 0 } chosen ? chosen : null,
        parsed.GetValue(work) is { Length: > 0 } kinds ? kinds : Enum.GetValues<WorkKind>(),
        parsed.GetValue(capacities) is { Length: > 0 } bounds ? bounds : [5, 64, 1024],
        parsed.GetValue(buffers) is { Length: > 0 } sizes ? sizes : [5, 1024],
        parsed.GetValue(skip) ?? [],
        parsed.GetValue(pipelineConfig),
        parsed.GetValue(json), parsed.GetValue(chart), parsed.GetValue(markdown));
    return await Bench.RunAsync(options);
});

var result = root.Parse(args);
if (result.Errors.Count > 0)
{
    Console.Error.WriteLine($"error: {result.Errors[0].Message}");
    return 2;
}

return await result.InvokeAsync();
