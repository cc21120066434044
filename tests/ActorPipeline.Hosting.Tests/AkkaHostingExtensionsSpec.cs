using ActorPipeline.Hosting;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Configuration;

namespace ActorPipeline.Tests.Hosting;

public sealed class AkkaHostingExtensionsSpec(ITestOutputHelper output) : Akka.Hosting.TestKit.TestKit(output: output)
{
    private sealed class OrdersPipeline;

    private sealed class BrokenPipeline;

    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    private readonly TaskCompletionSource<PipelineHandle> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Collections.Concurrent.ConcurrentBag<int> _handled = [];
    private readonly TaskCompletionSource<Exception> _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider)
    {
        // Options bound from configuration, as from appsettings.json or environment variables.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ActorPipeline:Orders:Capacity"] = "40",
            ["ActorPipeline:Orders:BufferSize"] = "7",
            ["ActorPipeline:Orders:Consumers"] = "3",
            ["ActorPipeline:Orders:ConsumerTimeout"] = "00:00:05",
        }).Build();
        var options = new ActorPipelineOptions();
        configuration.GetSection("ActorPipeline:Orders").Bind(options);

        builder.WithActorPipeline<int, OrdersPipeline>(
            "orders",
            pipeline => pipeline.WithSource(ct => Range(500)).WithHandler(_handled.Add),
            options,
            _started.SetResult);

        // A second pipeline whose deployment it cannot use: it reports why, and the host starts anyway.
        builder.AddHocon("akka.actor.deployment { \"/broken/consumers\" { router = broadcast-pool } }", HoconAddMode.Prepend);
        builder.WithActorPipeline<int, BrokenPipeline>(
            "broken", pipeline => pipeline.WithSource(_ => Range(1)).WithHandler(_ => { }), failed: _failed.SetResult);
    }

    [Fact]
    public async Task A_pipeline_that_cannot_start_reports_why_to_its_failed_callback_and_the_others_run()
    {
        var error = await _failed.Task.WaitAsync(Hang, TestContext.Current.CancellationToken);

        Assert.IsType<Akka.Configuration.ConfigurationException>(error);
        Assert.Contains("broadcast-pool is not supported", error.Message);
        var report = await (await _started.Task.WaitAsync(Hang, TestContext.Current.CancellationToken)).Completion.WaitAsync(Hang, TestContext.Current.CancellationToken);
        Assert.Equal(500, report.Succeeded);
    }

    [Fact]
    public async Task The_pipeline_starts_with_the_system_is_registered_and_uses_the_bound_options()
    {
        var registered = await ActorRegistry.GetAsync<OrdersPipeline>(TestContext.Current.CancellationToken);
        var handle = await _started.Task.WaitAsync(Hang, TestContext.Current.CancellationToken);

        Assert.Equal(handle.Actor, registered);
        Assert.Equal((7, 3, TimeSpan.FromSeconds(5)), (handle.Settings.BufferSize, handle.Settings.Consumers, handle.Settings.ConsumerTimeout));
        Assert.Equal((40, 40), (handle.Settings.Capacity, handle.Capacity));
        var report = await handle.Completion.WaitAsync(Hang, TestContext.Current.CancellationToken);
        Assert.Equal(500, report.Succeeded);
        Assert.Equal(500, _handled.Count);
    }

    private static async IAsyncEnumerable<int> Range(int count)
    {
        for (var i = 0; i < count; i++)
            yield return i;
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Application_code_gets_the_pipeline_as_a_required_actor()
    {
        var required = Host.Services.GetService(typeof(IRequiredActor<OrdersPipeline>)) as IRequiredActor<OrdersPipeline>;

        Assert.NotNull(required);
        var actor = await required.GetAsync(TestContext.Current.CancellationToken);
        Assert.Equal("orders", actor.Path.Name);
    }
}
