using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ActorPipeline.Host;

/// <summary>Where a job's traces and metrics go: <c>console</c> (one line per span and per measurement, on stderr, where
/// the host's log goes: stdout is for results) or <c>otlp</c>, to an OpenTelemetry collector.</summary>
/// <param name="Exporter">console or otlp.</param>
/// <param name="Endpoint">The collector's address for otlp; null: the SDK's default, or OTEL_EXPORTER_OTLP_ENDPOINT.</param>
internal sealed record HostTelemetry(string Exporter, Uri? Endpoint)
{
    private const string Usage = "console, otlp or otlp=ENDPOINT (e.g. otlp=http://localhost:4317)";

    /// <summary>The --otel flag.</summary>
    public static Option<HostTelemetry?> Flag() => new("--otel")
    {
        Description = $"Export traces and metrics: {Usage}. OTLP also reads OTEL_EXPORTER_OTLP_ENDPOINT. Default: none (also ActorPipeline:Otel in appsettings).",
        CustomParser = r =>
        {
            var text = r.Tokens.Single().Value;
            var telemetry = Parse(text);
            if (telemetry is null)
                r.AddError($"--otel expects {Usage}; got '{text}'.");
            return telemetry;
        },
    };

    /// <summary>The telemetry the flag or, without it, the configuration (<c>ActorPipeline:Otel</c>) asks for.</summary>
    /// <exception cref="Akka.Configuration.ConfigurationException">The configuration's value is not one of the allowed: a
    /// configuration error, one line and exit code 2.</exception>
    public static HostTelemetry? Resolve(HostTelemetry? flag, IConfiguration configuration)
    {
        if (flag is not null)
            return flag;
        var configured = configuration["ActorPipeline:Otel"];
        return string.IsNullOrWhiteSpace(configured)
            ? null
            : Parse(configured) ?? throw new Akka.Configuration.ConfigurationException($"ActorPipeline:Otel expects {Usage}; got '{configured}'.");
    }

    private static HostTelemetry? Parse(string text)
    {
        if (text.Equals("console", StringComparison.OrdinalIgnoreCase))
            return new("console", null);
        if (text.Equals("otlp", StringComparison.OrdinalIgnoreCase))
            return new("otlp", null);
        if (text.StartsWith("otlp=", StringComparison.OrdinalIgnoreCase) && Uri.TryCreate(text[5..], UriKind.Absolute, out var endpoint))
            return new("otlp", endpoint);
        return null;
    }

    /// <summary>Adds the OpenTelemetry SDK with the library's activity source and meter, exporting as asked.</summary>
    public void AddTo(IServiceCollection services, string job, TextWriter error)
    {
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("actor-pipeline", serviceInstanceId: $"{job}-{Environment.ProcessId}"))
            .WithTracing(tracing =>
            {
                tracing.AddSource("ActorPipeline");
                if (Exporter == "console")
                    tracing.AddProcessor(new SimpleActivityExportProcessor(new SpanLines(error)));
                else
                    tracing.AddOtlpExporter(o => o.Endpoint = Endpoint ?? o.Endpoint);
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter("ActorPipeline");
                if (Exporter == "console")
                    metrics.AddReader(new PeriodicExportingMetricReader(new MetricLines(error), exportIntervalMilliseconds: 5000));
                else
                    metrics.AddOtlpExporter(o => o.Endpoint = Endpoint ?? o.Endpoint);
            });
    }
}
