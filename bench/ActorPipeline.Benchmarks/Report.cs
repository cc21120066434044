using System.Globalization;
using System.Text;

namespace ActorPipeline.Benchmarks;

/// <summary>Markdown tables and the chart.</summary>
internal static class Report
{
    private const string Subject = "ActorPipeline";

    public static string Markdown(IReadOnlyList<Cell> cells, string[] systems)
    {
        var text = new StringBuilder();
        var baselines = systems.Where(s => s != Subject).ToArray();
        Throughput(text, cells.Where(c => c.Scenario == "throughput").ToArray(), systems, baselines,
            "### Throughput at equal capacity (items/s: median [min–max])",
            "Every system holds at most about N items at once, anywhere: ActorPipeline `WithCapacity(N)` and nothing else; the channel " +
            "`Bounded(N)`; Dataflow's two blocks N in all; Akka.Streams' queue, input buffers (1) and elements in work N in all. " +
            "The bound of each system, counting what its producers may hold while they wait to send and what its consumers hold, is " +
            "in the last column (ActorPipeline / Channel / Dataflow / Akka.Streams, as run).",
            "capacity");
        var defaults = cells.Where(c => c.Scenario == "throughput-defaults").ToArray();
        Throughput(text, defaults, systems, baselines,
            "### ActorPipeline at its defaults (items/s: median [min–max])",
            "Each system around a queue of B items, everything else at its defaults: ActorPipeline `WithBufferSize(B)` (capacity `auto`), " +
            "the channel `Bounded(B)`, Dataflow's blocks B each, Akka.Streams `Source.Queue(B)` with its default input buffers. " +
            "The bounds differ a lot, as the last column shows: ActorPipeline at its defaults may hold thousands of items; compare " +
            "these rows with care.",
            "buffer");

        var memory = cells.Where(c => c.Scenario == "memory").ToArray();
        if (memory.Length > 0)
        {
            text.AppendLine("### Memory (trivial work, B=1024; one process per figure)").AppendLine();
            text.AppendLine("| system | items | peak working set | peak GC heap | working set ÷ that at N |");
            text.AppendLine("|---|---|---|---|---|");
            foreach (var bySystem in memory.GroupBy(c => c.System))
            {
                var first = bySystem.MinBy(c => c.Items)!;
                foreach (var c in bySystem.OrderBy(c => c.Items))
                    text.AppendLine($"| {c.System} | {c.Items:N0} | {Mib(c.PeakWorkingSetBytes)} | {Mib(c.PeakGcHeapBytes)} | " +
                                    $"{(double)c.PeakWorkingSetBytes! / first.PeakWorkingSetBytes!:F2}× |");
            }

            text.AppendLine();
        }

        var latency = cells.Where(c => c.Scenario == "latency").ToArray();
        if (latency.Length > 0)
        {
            text.AppendLine($"### Latency from producer emit to handler start (1,000 items/s, every system at capacity {Bench.LatencyCapacity})").AppendLine();
            text.AppendLine("| system | samples | p50 | p99 | max |");
            text.AppendLine("|---|---|---|---|---|");
            foreach (var c in latency)
                text.AppendLine($"| {c.System} | {c.Items:N0} | {c.P50Micros:F0} µs | {c.P99Micros:F0} µs | {c.MaxMicros:F0} µs |");
        }

        return text.ToString();
    }

    private static void Throughput(StringBuilder text, Cell[] throughput, string[] systems, string[] baselines, string title, string note, string sizeName)
    {
        if (throughput.Length == 0)
            return;
        text.AppendLine(title).AppendLine().AppendLine(note).AppendLine();
        text.AppendLine($"| {sizeName} | work | {string.Join(" | ", systems)} | {string.Join(" | ", baselines.Select(b => $"{Subject} ÷ {b}"))} | in-flight bounds |");
        text.AppendLine($"|---|---|{string.Concat(Enumerable.Repeat("---|", systems.Length + baselines.Length + 1))}");
        foreach (var row in throughput.GroupBy(c => (c.Buffer, c.Work)))
        {
            var bySystem = row.ToDictionary(c => c.System);
            text.Append($"| {row.Key.Buffer} | {row.Key.Work} |");
            foreach (var system in systems)
                text.Append(bySystem.TryGetValue(system, out var c) ? $" {Rate(c.ItemsPerSecond)} [{Rate(c.MinItemsPerSecond)}–{Rate(c.MaxItemsPerSecond)}] |" : " – |");
            foreach (var baseline in baselines)
                text.Append(bySystem.TryGetValue(Subject, out var s) && bySystem.TryGetValue(baseline, out var b)
                    ? $" **{s.ItemsPerSecond / b.ItemsPerSecond:F2}×** |"
                    : " – |");
            text.AppendLine($" {string.Join(" / ", systems.Select(s => bySystem.TryGetValue(s, out var c) ? $"{c.InFlightBound:N0}" : "–"))} |");
        }

        text.AppendLine();
    }

    /// <summary>Where the written analysis of a results page begins; a new run keeps everything from this line on.</summary>
    public const string AnalysisMarker = "<!-- analysis: written by hand, kept by every run -->";

    /// <summary>The analysis part of the page <paramref name="page"/> as it is now, or nothing.</summary>
    public static async Task<string> AnalysisAsync(FileInfo page)
    {
        if (!page.Exists)
            return "";
        var text = await File.ReadAllTextAsync(page.FullName);
        var start = text.IndexOf(AnalysisMarker, StringComparison.Ordinal);
        return start < 0 ? "" : Environment.NewLine + text[start..];
    }

    /// <summary>The whole results page: how it was made, on what, the chart and the tables.</summary>
    public static string Page(string header, string tables, string? chart) =>
        $"""
        # ActorPipeline benchmarks

        Generated on {DateTime.UtcNow:yyyy-MM-dd} by `dotnet tool restore; dotnet pwsh ./build.ps1 -Target Bench`
        (which runs `bench/ActorPipeline.Benchmarks` in Release). All systems run in one process, interleaved, so the
        ratios compare like with like; absolute rates vary a lot between runs on a shared machine.

        {header.Trim()}

        {(chart is null ? "" : $"![items per second per system]({chart})")}

        {tables.Trim()}
        """ + Environment.NewLine;

    public static void Chart(IReadOnlyList<Cell> cells, string[] systems, string path)
    {
        var throughput = cells.Where(c => c.Scenario == "throughput").ToArray();
        var groups = throughput.Select(c => (c.Work, c.Buffer)).Distinct().ToArray();
        var plot = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var bars = new List<ScottPlot.Bar>();
        for (var g = 0; g < groups.Length; g++)
        {
            for (var s = 0; s < systems.Length; s++)
            {
                var cell = throughput.FirstOrDefault(c => c.System == systems[s] && (c.Work, c.Buffer) == groups[g]);
                if (cell?.ItemsPerSecond is not { } rate)
                    continue;
                bars.Add(new ScottPlot.Bar
                {
                    Position = g * (systems.Length + 1) + s,
                    Value = Math.Log10(rate),
                    FillColor = palette.GetColor(s),
                    Label = Rate(rate),
                });
            }
        }

        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 9;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            groups.Select((g, i) => (i * (systems.Length + 1) + (systems.Length - 1) / 2.0, $"{g.Work}, N={g.Buffer}"))
                .Select(t => new ScottPlot.Tick(t.Item1, t.Item2)).ToArray());
        var ticks = Enumerable.Range(3, 6).Select(e => new ScottPlot.Tick(e, e switch { 3 => "1 k", 4 => "10 k", 5 => "100 k", 6 => "1 M", 7 => "10 M", _ => "100 M" }));
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.ToArray());
        plot.Axes.SetLimitsY(3, 8.2);
        plot.Axes.Left.Label.Text = "items/s (log scale)";
        plot.Title("Items per second at equal capacity N, P=3 producers, C=2 consumers (median)");
        plot.Legend.IsVisible = true;
        plot.Legend.Alignment = ScottPlot.Alignment.UpperRight;
        for (var s = 0; s < systems.Length; s++)
            plot.Legend.ManualItems.Add(new ScottPlot.LegendItem { LabelText = systems[s], FillColor = palette.GetColor(s) });
        plot.SavePng(path, 1200, 600);
    }

    private static string Rate(double? perSecond) => perSecond switch
    {
        null => "–",
        >= 1e6 => string.Create(CultureInfo.InvariantCulture, $"{perSecond / 1e6:F2} M"),
        >= 1e3 => string.Create(CultureInfo.InvariantCulture, $"{perSecond / 1e3:F1} k"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{perSecond:F0}"),
    };

    private static string Mib(long? bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:F1} MiB");
}
