using System.Globalization;
using Spectre.Console;

namespace ActorPipeline.Host;

/// <summary>The table printed at the end of every job: totals, then each producer and each consumer.</summary>
internal static class Summary
{
    /// <summary>Producers listed one by one; beyond this the rest are summed in one row.</summary>
    private const int ProducerRows = 20;

    public static void Write(PipelineReport report, PipelineSettings settings, TextWriter error, bool live)
    {
        var console = Terminal.For(error, live);
        var border = Terminal.Border(live);

        console.WriteLine($"{report.Name}: {report.Outcome.ToString().ToLowerInvariant()}");
        if (report.Resumed)
            console.WriteLine($"resumed an earlier run: its counts are included, and {N(report.Recovered)} items it had not finished were taken up again");
        // The dropped column shows only when an overflow mode dropped items.
        var dropped = report.Dropped > 0;
        var totals = new Table().Border(border).AddColumns(dropped
            ? ["produced", "succeeded", "failed", "dropped", "retried", "elapsed", "items/s"]
            : ["produced", "succeeded", "failed", "retried", "elapsed", "items/s"]);
        foreach (var column in totals.Columns)
            column.RightAligned();
        var elapsed = report.Elapsed.TotalSeconds.ToString("0.000 s", CultureInfo.InvariantCulture);
        if (dropped)
            totals.AddRow(N(report.Produced), N(report.Succeeded), N(report.Failed), N(report.Dropped), N(report.Retried), elapsed, N((long)report.ItemsPerSecond));
        else
            totals.AddRow(N(report.Produced), N(report.Succeeded), N(report.Failed), N(report.Retried), elapsed, N((long)report.ItemsPerSecond));
        console.Write(totals);

        var producers = new Table().Border(border).AddColumn("producer").AddColumn(new TableColumn("items").RightAligned()).AddColumn("outcome");
        foreach (var producer in report.Producers.Take(ProducerRows))
            producers.AddRow(Markup.Escape(producer.Name), N(producer.Produced), Markup.Escape(producer.Failure?.Message ?? "done"));
        if (report.Producers.Count > ProducerRows)
        {
            var rest = report.Producers.Skip(ProducerRows).ToArray();
            producers.AddRow($"({N(rest.Length)} more)", N(rest.Sum(p => p.Produced)), $"{N(rest.Count(p => p.Failure is not null))} failed");
        }

        var consumers = new Table().Border(border).AddColumn("consumer").AddColumn(new TableColumn("items").RightAligned()).AddColumn(new TableColumn("share").RightAligned());
        var decided = Math.Max(1, report.ProcessedByConsumer.Values.Sum());
        foreach (var (name, processed) in report.ProcessedByConsumer.OrderBy(c => c.Key, StringComparer.Ordinal))
            consumers.AddRow(Markup.Escape(name), N(processed), (processed / (double)decided).ToString("P0", CultureInfo.InvariantCulture));

        console.Write(new Columns(producers, consumers).Collapse());
        if (report.Abandoned > 0)
            console.WriteLine($"{N(report.Abandoned)} items were still in flight at the {settings.StopTimeout.TotalSeconds:0} s stop deadline and count as failed.");
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
