using System.Diagnostics;
using System.Globalization;
using System.Text;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace ActorPipeline.Host;

/// <summary>A span per line on stderr: name, kind, trace and span ids, parent, links and tags, so one item can be
/// followed from its publish span to the process span that handled it, across nodes too.</summary>
internal sealed class SpanLines(TextWriter error) : BaseExporter<Activity>
{
    public override ExportResult Export(in OpenTelemetry.Batch<Activity> batch)
    {
        var line = new StringBuilder();
        foreach (var span in batch)
        {
            line.Clear().Append(CultureInfo.InvariantCulture,
                $"otel span '{span.DisplayName}' {span.Kind.ToString().ToLowerInvariant()} trace={span.TraceId} span={span.SpanId}");
            line.Append(CultureInfo.InvariantCulture, $" parent={(span.ParentSpanId == default ? "-" : span.ParentSpanId.ToString())}");
            line.Append(CultureInfo.InvariantCulture, $" duration={span.Duration.TotalMilliseconds:0.###}ms");
            if (span.Status == ActivityStatusCode.Error)
                line.Append(" status=error");
            foreach (var link in span.Links)
                line.Append(CultureInfo.InvariantCulture, $" link={link.Context.SpanId}");
            foreach (var (key, value) in span.TagObjects)
                line.Append(CultureInfo.InvariantCulture, $" {key}={value}");
            foreach (var e in span.Events)
                line.Append(CultureInfo.InvariantCulture, $" event={e.Name}");
            lock (error)
                error.WriteLine(line.ToString());
        }

        return ExportResult.Success;
    }
}

/// <summary>A measurement per line on stderr: the instrument, its tags, and its value (a sum, a last value, or a
/// histogram's count and sum), every few seconds and once more when the job ends.</summary>
internal sealed class MetricLines(TextWriter error) : BaseExporter<Metric>
{
    public override ExportResult Export(in OpenTelemetry.Batch<Metric> batch)
    {
        var line = new StringBuilder();
        foreach (var metric in batch)
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                line.Clear().Append("otel metric ").Append(metric.Name);
                foreach (var tag in point.Tags)
                    line.Append(CultureInfo.InvariantCulture, $" {tag.Key}={tag.Value}");
                line.Append(' ').Append(metric.MetricType switch
                {
                    MetricType.LongSum or MetricType.LongSumNonMonotonic => string.Create(CultureInfo.InvariantCulture, $"sum={point.GetSumLong()}"),
                    MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic => string.Create(CultureInfo.InvariantCulture, $"sum={point.GetSumDouble()}"),
                    MetricType.LongGauge => string.Create(CultureInfo.InvariantCulture, $"value={point.GetGaugeLastValueLong()}"),
                    MetricType.DoubleGauge => string.Create(CultureInfo.InvariantCulture, $"value={point.GetGaugeLastValueDouble()}"),
                    MetricType.Histogram => string.Create(CultureInfo.InvariantCulture, $"count={point.GetHistogramCount()} sum={point.GetHistogramSum():0.######}"),
                    _ => metric.MetricType.ToString(),
                });
                lock (error)
                    error.WriteLine(line.ToString());
            }
        }

        return ExportResult.Success;
    }
}
