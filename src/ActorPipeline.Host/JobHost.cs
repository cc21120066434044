using ActorPipeline.Hosting;
using Akka.Configuration;
using Akka.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ActorPipeline.Host;

/// <summary>The .NET Generic Host every job runs in: configuration, logging, and the ActorSystem through Akka.Hosting.</summary>
/// <remarks>
/// Precedence, strongest first: command-line flags; environment variables (<c>ActorPipeline__Demo__BufferSize=8</c>);
/// <c>appsettings.json</c> next to the binary (<c>"ActorPipeline": { "Demo": { "BufferSize": 8 } }</c>); the
/// <c>--config</c> HOCON file; <c>pipeline.hocon</c>; the library's <c>reference.conf</c>. Akka's log events go to
/// Microsoft.Extensions.Logging (console, on stderr), at warning level unless <c>--verbose</c>. Stopping the host
/// (Ctrl+C, SIGTERM) runs Akka's CoordinatedShutdown, which drains the running pipelines.
/// </remarks>
internal static class JobHost
{
    /// <summary>Builds the host; <paramref name="addActors"/> reads the configuration (appsettings, environment) first and
    /// returns what to add to the ActorSystem when it starts.</summary>
    public static IHost Build(
        Config hocon, bool verbose, string job, HostTelemetry? telemetry, TextWriter error, Func<IConfiguration, Action<AkkaConfigurationBuilder, ActorPipelineOptions>> addActors)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(verbose ? LogLevel.Information : LogLevel.Warning);
        builder.Services.Configure<ConsoleLifetimeOptions>(lifetime => lifetime.SuppressStatusMessages = true);

        var options = new ActorPipelineOptions();
        try
        {
            builder.Configuration.GetSection($"ActorPipeline:{job}").Bind(options);
        }
        catch (InvalidOperationException e)
        {
            // The binder names the key, the value and the type it wanted: that is the one line a user needs.
            throw new ConfigurationException(e.InnerException is { } why ? $"{e.Message} {why.Message}" : e.Message, e);
        }

        var add = addActors(builder.Configuration);
        HostTelemetry.Resolve(telemetry, builder.Configuration)?.AddTo(builder.Services, job, error);
        builder.Services.AddAkka("actor-pipeline-host", (akka, _) =>
        {
            akka.AddHocon(hocon, HoconAddMode.Prepend);
            if (verbose)
                akka.AddHocon("akka.loglevel = INFO", HoconAddMode.Prepend);
            akka.ConfigureLoggers(loggers =>
            {
                loggers.LogLevel = verbose ? Akka.Event.LogLevel.InfoLevel : Akka.Event.LogLevel.WarningLevel;
                loggers.ClearLoggers();
                loggers.AddLoggerFactory();
            });
            add(akka, options);
        });
        return builder.Build();
    }
}
