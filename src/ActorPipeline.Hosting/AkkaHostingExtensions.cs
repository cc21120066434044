using Akka.Hosting;

namespace ActorPipeline.Hosting;

/// <summary>Starts pipelines from an <see cref="AkkaConfigurationBuilder"/>, the way Akka.NET's own modules plug in.</summary>
public static class AkkaHostingExtensions
{
    /// <summary>
    /// Adds the library's defaults as a HOCON fallback, applies <paramref name="options"/> to the pipeline
    /// <paramref name="name"/>, starts it with <paramref name="configure"/> when the ActorSystem starts, and registers its
    /// actor under <typeparamref name="TKey"/>, so application code gets it as <c>IRequiredActor&lt;TKey&gt;</c>.
    /// </summary>
    /// <typeparam name="T">The item type.</typeparam>
    /// <typeparam name="TKey">The registry key of this pipeline (any type, usually an empty marker class).</typeparam>
    /// <param name="builder">The Akka.Hosting builder.</param>
    /// <param name="name">The pipeline's name, also its actor's name.</param>
    /// <param name="configure">Adds producers and a consumer, as with <see cref="Pipeline.Create{T}"/>.</param>
    /// <param name="options">Settings that override the HOCON ones; <c>null</c> keeps them.</param>
    /// <param name="started">Receives the running pipeline's handle (for its report), if given.</param>
    /// <param name="failed">
    /// Receives the reason when the pipeline cannot start (unusable settings or deployment, a producer source that
    /// throws at once…); without it that exception fails the host's start, which Akka.Hosting also logs and prints.
    /// </param>
    public static AkkaConfigurationBuilder WithActorPipeline<T, TKey>(
        this AkkaConfigurationBuilder builder,
        string name,
        Action<PipelineBuilder<T>> configure,
        ActorPipelineOptions? options = null,
        Action<PipelineHandle>? started = null,
        Action<Exception>? failed = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        if (options is not null)
            builder.AddHocon(options.ToHocon(name), HoconAddMode.Prepend);
        builder.AddHocon(PipelineSettings.DefaultConfig(), HoconAddMode.Append);
        return builder.WithActors((system, registry) =>
        {
            PipelineHandle handle;
            try
            {
                var pipeline = Pipeline.Create<T>(system, name);
                configure(pipeline);
                handle = pipeline.Start();
            }
            catch (Exception e) when (failed is not null)
            {
                failed(e);
                return;
            }

            registry.Register<TKey>(handle.Actor);
            started?.Invoke(handle);
        });
    }
}
