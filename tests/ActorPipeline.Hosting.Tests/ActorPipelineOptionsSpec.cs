using Microsoft.Extensions.Configuration;
using ActorPipeline.Hosting;

namespace ActorPipeline.Tests.Hosting;

/// <summary>The options are the settings' keys, one property each, and become the pipeline's own HOCON section.</summary>
public sealed class ActorPipelineOptionsSpec
{
    [Fact]
    public void Every_setting_key_has_one_property_and_every_property_is_a_setting_key()
    {
        var properties = typeof(ActorPipelineOptions).GetProperties().Select(p => p.Name).Order();
        var keys = PipelineSettings.Keys.Select(k => string.Concat(k.Split('-', '.').Select(w => char.ToUpperInvariant(w[0]) + w[1..]))).Order();

        Assert.Equal(keys, properties);
    }

    [Fact]
    public void Options_set_become_the_settings_of_that_pipeline_only_and_the_others_keep_their_values()
    {
        var options = new ActorPipelineOptions
        {
            Capacity = 64, BufferSize = 32, ProducerCredit = 16, ChunkSize = 8, Consumers = 3, Parallelism = 5, MaxRetries = 2,
            MaxRedeliveries = 1, ConsumerTimeout = TimeSpan.FromMilliseconds(1500), StopTimeout = TimeSpan.FromSeconds(9),
            MaxReportedFailures = 7, KeepAlive = true, BlockingHandlers = true, RetryBackoffMin = TimeSpan.FromMilliseconds(250),
            RetryBackoffMax = TimeSpan.FromSeconds(4), RetryBackoffFactor = 3, RetryBackoffJitter = 0.5, MaxRate = 500, MaxRateBurst = 20,
            Overflow = OverflowMode.DropOldest,
        };

        var settings = PipelineSettings.Create(options.ToHocon("orders"), "orders");
        var others = PipelineSettings.Create(options.ToHocon("orders"), "other");

        Assert.Equal(
            (64, 32, 16, 8, 3, 5, 2, 1, TimeSpan.FromMilliseconds(1500), TimeSpan.FromSeconds(9), 7, true, true),
            (settings.Capacity, settings.BufferSize, settings.ProducerCredit, settings.ChunkSize, settings.Consumers, settings.Parallelism,
                settings.MaxRetries, settings.MaxRedeliveries, settings.ConsumerTimeout, settings.StopTimeout, settings.MaxReportedFailures,
                settings.KeepAlive, settings.BlockingHandlers));
        Assert.Equal(new RetryBackoff(TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(4), 3, 0.5), settings.RetryBackoff);
        Assert.Equal((500, 20), (settings.MaxRate, settings.MaxRateBurst));
        Assert.Equal(OverflowMode.DropOldest, settings.Overflow);
        Assert.Equal(PipelineSettings.Create(Akka.Configuration.Config.Empty), others);
    }

    [Theory]
    [InlineData("drop-oldest", OverflowMode.DropOldest)]
    [InlineData("DropIncoming", OverflowMode.DropIncoming)]
    [InlineData("fail", OverflowMode.Fail)]
    public void The_overflow_mode_binds_from_configuration_by_either_name(string value, OverflowMode mode)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ActorPipeline:Orders:Overflow"] = value })
            .Build();
        var options = new ActorPipelineOptions();

        configuration.GetSection("ActorPipeline:Orders").Bind(options);

        Assert.Equal(mode, options.Overflow);
        Assert.Equal(mode, PipelineSettings.Create(options.ToHocon("orders"), "orders").Overflow);
    }

    [Fact]
    public void An_unknown_overflow_mode_in_configuration_fails_the_binding_naming_the_modes()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ActorPipeline:Orders:Overflow"] = "sideways" })
            .Build();

        var error = Assert.Throws<InvalidOperationException>(() => configuration.GetSection("ActorPipeline:Orders").Bind(new ActorPipelineOptions()));

        Assert.Contains("'ActorPipeline:Orders:Overflow'", error.Message);
        Assert.Contains("allowed: backpressure, drop-newest, drop-oldest, drop-incoming, fail", error.InnerException!.Message);
    }
}
