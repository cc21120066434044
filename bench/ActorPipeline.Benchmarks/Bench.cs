using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ActorPipeline.Benchmarks;

internal sealed record BenchOptions(
    bool Quick, string[]? Systems, WorkKind[] Work, int[] Capacities, int[] Buffers, string[] Skip, string? PipelineConfig,
    FileInfo? Json, FileInfo? Chart, FileInfo? Markdown);

/// <summary>One measured cell, as written to --json.</summary>
/// <remarks>
/// <c>Scenario</c> is <c>throughput</c> for cells at equal capacity (<c>Capacity</c> = N, every system bounded to about N),
/// <c>throughput-defaults</c> for cells where each system runs at its defaults around a queue of <c>Buffer</c> items,
/// <c>latency</c> or <c>memory</c>. <c>InFlightBound</c> is the system's own bound in that cell.
/// </remarks>
internal sealed record Cell(
    string System, string Scenario, int Buffer, string Work, long Items,
    double? ItemsPerSecond, double? MinItemsPerSecond, double? MaxItemsPerSecond,
    long? PeakWorkingSetBytes, long? PeakGcHeapBytes, double? P50Micros, double? P99Micros, double? MaxMicros,
    int? Capacity = null, long? InFlightBound = null);

/// <summary>Runs the matrix: throughput (interleaved), memory (child processes), latency (paced).</summary>
internal static class Bench
{
    public const int Producers = 3;
    public const int Consumers = 2;

    /// <summary>The capacity every system is bounded to while its latency is measured.</summary>
    public const int LatencyCapacity = 1024;

    public static async Task<int> RunAsync(BenchOptions options)
    {
        var runs = options.Quick ? 3 : 5;
        var seconds = options.Quick ? 0.5 : 2.2;
        var firstWarmSeconds = options.Quick ? 1.0 : 1.5; // per system and buffer size, before the first cell
        var warmSeconds = options.Quick ? 0.3 : 1.5;
        var spin = Work.CalibrateSpin(TimeSpan.FromMicroseconds(2));
        using var delay = new MicroDelay(TimeSpan.FromMicroseconds(50));
        var measuredDelay = await delay.MeasureAsync(500);

        var header = new StringBuilder();
        header.AppendLine($"Machine: {Environment.ProcessorCount} cores, {RuntimeInfo()}; P={Producers} producers, C={Consumers} consumers.");
        header.AppendLine($"Work: trivial = add to a per-thread sum; cpu = {spin} spin iterations (calibrated to 2 µs); " +
                          $"async = a 50 µs asynchronous wait (measured mean {measuredDelay.TotalMicroseconds:F0} µs).");
        header.AppendLine($"Each cell: median [min–max] of {runs} runs of about {seconds:F1} s each (each system's item count sized by its own warmed-up rate)" +
                          $", after a warm-up of every system ({2 * firstWarmSeconds:F0} s at first, then {warmSeconds:F1} s per cell); systems interleaved.");
        Console.WriteLine(header);

        var systems = Create(options.Systems, options.PipelineConfig);
        var cells = new List<Cell>();
        try
        {
            // Every system's code first runs for a few seconds at the smallest and largest capacity: the runtime needs about two
            // seconds of running before rates settle (ActorPipeline rose from 0.2 to 3-4 M items/s over its first two
            // seconds at B=5, the channel from 0.5 to 2-3 M), and the first cell would otherwise measure that.
            var trivial = Work.Create(WorkKind.Trivial, spin, delay);
            foreach (var system in systems)
            {
                foreach (var capacity in new[] { options.Capacities.Min(), options.Capacities.Max() }.Distinct())
                    await WarmUpAsync(system, Sizing.Capacity, capacity, trivial, 60_000, firstWarmSeconds);
            }

            var sizes = options.Capacities.Select(n => (Sizing.Capacity, n))
                .Concat(options.Skip.Contains("defaults") ? [] : options.Buffers.Select(b => (Sizing.Defaults, b)));
            foreach (var (sizing, size) in sizes)
            {
                foreach (var kind in options.Work)
                {
                    var work = Work.Create(kind, spin, delay);
                    cells.AddRange(await ThroughputAsync(systems, sizing, size, work, runs, seconds, warmSeconds));
                }
            }

            using var clock = new MicroDelay(TimeSpan.FromMilliseconds(1));
            if (!options.Skip.Contains("latency"))
                cells.AddRange(await LatencyAsync(systems, clock, TimeSpan.FromSeconds(options.Quick ? 1 : 3)));
        }
        finally
        {
            foreach (var system in systems)
                await system.DisposeAsync();
        }

        if (!options.Skip.Contains("memory"))
            cells.AddRange(await MemoryProbe.RunAsync(systems.Select(s => s.Name).Where(MemoryProbe.Supports), options.Quick ? 300_000 : 2_000_000));

        var tables = Report.Markdown(cells, systems.Select(s => s.Name).ToArray());
        Console.WriteLine(tables);
        if (options.Markdown is { } md)
            await File.WriteAllTextAsync(md.FullName, Report.Page(header.ToString(), tables, options.Chart?.Name) + await Report.AnalysisAsync(md));
        if (options.Json is { } file)
            await File.WriteAllTextAsync(file.FullName, JsonSerializer.Serialize(cells, new JsonSerializerOptions
            {
                WriteIndented = true,
                PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            }));
        if (options.Chart is { } png)
            Report.Chart(cells, systems.Select(s => s.Name).ToArray(), png.FullName);
        return 0;
    }

    private static List<IPipelineSystem> Create(string[]? names, string? pipelineConfig)
    {
        var all = new Func<IPipelineSystem>[] { () => new ActorPipelineSystem(pipelineConfig), () => new ChannelSystem(), () => new DataflowSystem(), () => new AkkaStreamsSystem() };
        var systems = all.Select(make => make()).ToList();
        if (names is null)
            return systems;
        var unknown = names.Except(systems.Select(s => s.Name), StringComparer.OrdinalIgnoreCase).ToArray();
        if (unknown.Length > 0)
            throw new ArgumentException($"Unknown system(s): {string.Join(", ", unknown)}.");
        foreach (var unused in systems.Where(s => !names.Contains(s.Name, StringComparer.OrdinalIgnoreCase)))
            _ = unused.DisposeAsync().AsTask();
        return systems.Where(s => names.Contains(s.Name, StringComparer.OrdinalIgnoreCase)).ToList();
    }

    private static async Task<IEnumerable<Cell>> ThroughputAsync(
        List<IPipelineSystem> systems, Sizing sizing, int size, Work work, int runs, double seconds, double warmSeconds)
    {
        // Warm up every system for a while, not for a count of items: the JIT moves code to its optimized tier only
        // after it has run for some time. With two warm-up runs of 60,000 items, ActorPipeline's trivial B=5 cell ran
        // at ~1 M items/s in runs of 0.5 s and ~4 M in runs of 2 s. Then size each system's N so that its runs last
        // `seconds`: with one N for all, sized by the fastest, the slowest system's runs took over a minute each.
        var warmItems = work.Kind == WorkKind.Async ? 2_000L : 60_000L;
        var scenarios = new Dictionary<string, Scenario>();
        foreach (var system in systems)
        {
            var rate = await WarmUpAsync(system, sizing, size, work, warmItems, warmSeconds);
            var items = Math.Max(warmItems, (long)(rate * seconds) / Producers * Producers);
            scenarios[system.Name] = new Scenario(Producers, Consumers, sizing, size, work, items);
        }

        var rates = systems.ToDictionary(s => s.Name, _ => new List<double>());
        for (var run = 0; run < runs; run++)
        {
            // Rotate the order so that no system always runs first (or right after a heavy one).
            for (var i = 0; i < systems.Count; i++)
            {
                var system = systems[(i + run) % systems.Count];
                rates[system.Name].Add(await MeasureAsync(system, scenarios[system.Name]));
            }
        }

        Console.Error.WriteLine($"  {(sizing == Sizing.Capacity ? "N" : "B")}={size,-5} {work.Kind,-8} " +
                                string.Join("  ", rates.Select(r => $"{r.Key} {Median(r.Value) / 1e6:F2} M/s")));
        return systems.Select(system =>
        {
            var (scenario, rate) = (scenarios[system.Name], rates[system.Name]);
            return new Cell(system.Name, sizing == Sizing.Capacity ? "throughput" : "throughput-defaults", size, Name(work.Kind), scenario.Items,
                Median(rate), rate.Min(), rate.Max(), null, null, null, null, null,
                sizing == Sizing.Capacity ? size : null, system.InFlightBound(scenario));
        });
    }

    /// <summary>Runs <paramref name="system"/> for at least <paramref name="seconds"/>, in runs that grow from
    /// <paramref name="items"/> items; returns the rate of the last run.</summary>
    private static async Task<double> WarmUpAsync(IPipelineSystem system, Sizing sizing, int size, Work work, long items, double seconds)
    {
        var rate = 0.0;
        var warming = Stopwatch.StartNew();
        for (var n = items; warming.Elapsed.TotalSeconds < seconds; n = Math.Min(n * 2, (long)(rate * seconds) + 1))
            rate = await MeasureAsync(system, new Scenario(Producers, Consumers, sizing, size, work, Math.Max(Producers, n / Producers * Producers)));
        return rate;
    }

    private static async Task<double> MeasureAsync(IPipelineSystem system, Scenario scenario)
    {
        var start = Stopwatch.GetTimestamp();
        var handled = await system.RunAsync(scenario);
        var elapsed = Stopwatch.GetElapsedTime(start);
        if (handled != scenario.Items)
            throw new InvalidOperationException($"{system.Name} handled {handled} of {scenario.Items} items.");
        return scenario.Items / elapsed.TotalSeconds;
    }

    private static async Task<IEnumerable<Cell>> LatencyAsync(List<IPipelineSystem> systems, MicroDelay clock, TimeSpan duration)
    {
        var cells = new List<Cell>();
        foreach (var system in systems)
        {
            var samples = new List<double>(4096);
            await system.RunPacedAsync(LatencyCapacity, clock, TimeSpan.FromMilliseconds(200), _ => { });
            await system.RunPacedAsync(LatencyCapacity, clock, duration, stamp =>
            {
                var micros = Stopwatch.GetElapsedTime(stamp).TotalMicroseconds;
                lock (samples)
                    samples.Add(micros);
            });
            samples.Sort();
            cells.Add(new Cell(system.Name, "latency", LatencyCapacity, "trivial", samples.Count, null, null, null, null, null,
                Percentile(samples, 0.50), Percentile(samples, 0.99), samples[^1], LatencyCapacity));
            Console.Error.WriteLine($"  latency {system.Name}: p50 {Percentile(samples, 0.5):F0} µs, p99 {Percentile(samples, 0.99):F0} µs");
        }

        return cells;
    }

    public static string Name(WorkKind kind) => kind.ToString().ToLowerInvariant();

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static string RuntimeInfo() =>
        string.Create(CultureInfo.InvariantCulture,
            $".NET {Environment.Version}, {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
}
