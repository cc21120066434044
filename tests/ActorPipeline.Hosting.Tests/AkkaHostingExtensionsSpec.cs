using ActorPipeline.Hosting;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Configuration;

namespace ActorPipeline.Tests.Hosting;

public sealed class AkkaHostingExtensionsSpec(ITestOutputHelper output) : Akka.Hosting.TestKit.TestKit(output: output)
{
    private sealed class OrdersPipeline;

    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    private readonly TaskCompletionSource<PipelineHandle> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Collections.Concurrent.ConcurrentBag<int> _handled = [];

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider)
    {
        // Options bound from configuration, as from appsettings.json or environment variables.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
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
    }

    [Fact]
    public async Task The_pipeline_starts_with_the_system_is_registered_and_uses_the_bound_options()
    {
        var registered = await ActorRegistry.GetAsync<OrdersPipeline>(TestContext.Current.CancellationToken);
        var handle = await _started.Task.WaitAsync(Hang, TestContext.Current.CancellationToken);

        Assert.Equal(handle.Actor, registered);
        Assert.Equal((7, 3, TimeSpan.FromSeconds(5)), (handle.Settings.BufferSize, handle.Settings.Consumers, handle.Settings.ConsumerTimeout));
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
