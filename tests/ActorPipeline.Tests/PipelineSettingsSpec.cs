using Akka.Configuration;

namespace ActorPipeline.Tests;

public sealed class PipelineSettingsSpec
{
    [Fact]
    public void Defaults_come_from_the_reference_configuration()
    {
        var settings = PipelineSettings.Create(Config.Empty);

        Assert.Equal(1024, settings.BufferSize);
        Assert.Equal(256, settings.ProducerCredit);
        Assert.Equal(256, settings.ChunkSize);
        Assert.Equal(4, settings.Consumers);
        Assert.Null(settings.Parallelism);
        Assert.Equal(8, settings.EffectiveParallelism);
        Assert.Equal(0, settings.MaxRetries);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.ConsumerTimeout);
    }

    [Fact]
    public void A_pipeline_section_overrides_the_common_one_for_that_pipeline_only()
    {
        var config = ConfigurationFactory.ParseString("""
            actor-pipeline { buffer-size = 10, pipelines { "fast" { buffer-size = 4096 } } }
            """);

        Assert.Equal(4096, PipelineSettings.Create(config, "fast").BufferSize);
        Assert.Equal(10, PipelineSettings.Create(config, "other").BufferSize);
    }

    [Theory]
    [InlineData("buffer-size", "0", "1 .. 1048576")]
    [InlineData("buffer-size", "-5", "1 .. 1048576")]
    [InlineData("buffer-size", "1048577", "1 .. 1048576")]
    [InlineData("producer-credit", "0", "1 .. 1048576")]
    [InlineData("chunk-size", "0", "1 .. 65536")]
    [InlineData("consumers", "0", "1 .. 4096")]
    [InlineData("parallelism", "0", "1 .. 65536")]
    [InlineData("max-retries", "-1", "0 .. 100")]
    [InlineData("max-retries", "101", "0 .. 100")]
    [InlineData("consumer-timeout", "-1s", "greater than 0")]
    [InlineData("consumer-timeout", "0s", "greater than 0")]
    [InlineData("stop-timeout", "-3s", "greater than 0")]
    [InlineData("max-reported-failures", "-1", "0 .. 1048576")]
    public void Out_of_range_values_are_rejected_with_key_value_and_range(string key, string value, string range)
    {
        var config = ConfigurationFactory.ParseString($"actor-pipeline.{key} = {value}");

        var error = Assert.Throws<ConfigurationException>(() => PipelineSettings.Create(config));

        Assert.Contains($"actor-pipeline.{key}", error.Message);
        Assert.Contains(value.TrimEnd('s'), error.Message);
        Assert.Contains(range, error.Message);
    }

    [Theory]
    [InlineData("buffer-size", "lots")]
    [InlineData("consumers", "two")]
    [InlineData("parallelism", "many")]
    [InlineData("consumer-timeout", "soon")]
    public void Malformed_values_are_rejected_with_key_and_value(string key, string value)
    {
        var config = ConfigurationFactory.ParseString($"actor-pipeline.{key} = {value}");

        var error = Assert.Throws<ConfigurationException>(() => PipelineSettings.Create(config));

        Assert.Contains($"actor-pipeline.{key}", error.Message);
        Assert.Contains(value, error.Message);
    }

    [Theory]
    [InlineData("actor-pipeline.bufer-size = 5", "actor-pipeline.bufer-size")]
    [InlineData("actor-pipeline.pipelines.\"x\".consumer = 2", "actor-pipeline.pipelines.\"x\".consumer")]
    public void Unknown_keys_are_rejected_with_the_known_ones(string hocon, string key)
    {
        var error = Assert.Throws<ConfigurationException>(() => PipelineSettings.Create(ConfigurationFactory.ParseString(hocon), "x"));

        Assert.Contains($"{key} is not a setting of ActorPipeline", error.Message);
        Assert.Contains("buffer-size", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Code_overrides_are_validated_like_configuration(int bufferSize)
    {
        var settings = PipelineSettings.Create(Config.Empty);

        var error = Assert.Throws<ConfigurationException>(() => settings.WithBufferSize(bufferSize));

        Assert.Contains($"actor-pipeline.buffer-size = {bufferSize}", error.Message);
    }

    [Fact]
    public void With_methods_return_copies()
    {
        var settings = PipelineSettings.Create(Config.Empty);

        var changed = settings.WithBufferSize(5).WithConsumers(2);

        Assert.Equal(1024, settings.BufferSize);
        Assert.Equal(5, changed.BufferSize);
        Assert.Equal(2, changed.Consumers);
    }

    [Theory]
    [InlineData(5, 64, 3, 2, 3 * 64 + 5 + 5 * 256 + 5)]
    [InlineData(1024, 64, 3, 2, 3 * 64 + 1024 + 5 * 256 + 256)]
    [InlineData(1, 1, 8, 1, 8 * 1 + 1 + 3 * 256 + 1)]
    public void The_in_flight_bound_is_credits_plus_buffer_plus_chunks_at_and_for_consumers(
        int buffer, int credit, int producers, int consumers, long expected)
    {
        var settings = PipelineSettings.Create(Config.Empty)
            .WithBufferSize(buffer).WithProducerCredit(credit).WithConsumers(consumers);

        Assert.Equal(expected, settings.MaxItemsInFlight(producers));
    }
}
