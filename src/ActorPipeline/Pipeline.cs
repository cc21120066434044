using Akka.Actor;
using Akka.Configuration;

namespace ActorPipeline;

/// <summary>Entry point: start a backpressured producer→consumer pipeline inside an <see cref="ActorSystem"/>.</summary>
/// <example>
/// <code>
/// var pipeline = Pipeline.Create&lt;int&gt;(system, "numbers")
///     .WithSource(ct => Numbers(ct))
///     .WithHandler((n, ct) => Store(n, ct))
///     .Start();
/// PipelineReport report = await pipeline.Completion;
/// </code>
/// </example>
public static class Pipeline
{
    /// <summary>Begins a pipeline of <typeparamref name="T"/> named <paramref name="name"/>, with settings read from the system's configuration.</summary>
    /// <exception cref="ConfigurationException">The configuration holds an invalid setting.</exception>
    public static PipelineBuilder<T> Create<T>(ActorSystem system, string name)
    {
        ArgumentNullException.ThrowIfNull(system);
        if (string.IsNullOrWhiteSpace(name) || !ActorPath.IsValidPathElement(name))
            throw new ArgumentException($"'{name}' is not a valid pipeline name; use letters, digits and -_.*$+:@&=,!~';", nameof(name));
        return new PipelineBuilder<T>(system, name, PipelineSettings.Create(system, name));
    }

    /// <summary>Creates an ActorSystem for pipelines, with <paramref name="config"/> over the library's defaults.</summary>
    public static ActorSystem CreateSystem(string name, Config? config = null) =>
        ActorSystem.Create(name, (config ?? Config.Empty).WithFallback(PipelineSettings.DefaultConfig()));
}
