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
        Assert.Equal(8, settings.ParallelismBound);
        Assert.Equal(0, settings.MaxRetries);
        Assert.Equal(3, settings.MaxRedeliveries);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.ConsumerTimeout);
        Assert.Equal(OverflowMode.Backpressure, settings.Overflow);
    }

    [Theory]
    [InlineData("backpressure", OverflowMode.Backpressure)]
    [InlineData("drop-newest", OverflowMode.DropNewest)]
    [InlineData("drop-oldest", OverflowMode.DropOldest)]
    [InlineData("drop-incoming", OverflowMode.DropIncoming)]
    [InlineData("fail", OverflowMode.Fail)]
    [InlineData("DropOldest", OverflowMode.DropOldest)]
    public void The_overflow_mode_is_read_by_its_name(string value, OverflowMode mode)
    {
        var settings = PipelineSettings.Create(ConfigurationFactory.ParseString($"actor-pipeline.overflow = {value}"));

        Assert.Equal(mode, settings.Overflow);
        Assert.Equal(value.Contains('-') || value == "fail" || value == "backpressure" ? value : "drop-oldest", PipelineSettings.OverflowName(mode));
    }

    [Theory]
    [InlineData("drop")]
    [InlineData("2")]
    [InlineData("-drop-oldest")]
    public void An_unknown_overflow_mode_is_rejected_with_the_modes_there_are(string value)
    {
        var error = Assert.Throws<ConfigurationException>(() =>
            PipelineSettings.Create(ConfigurationFactory.ParseString($"actor-pipeline.overflow = \"{value}\"")));

        Assert.Equal(
            $"actor-pipeline.overflow = '{value}' is not valid; allowed: backpressure, drop-newest, drop-oldest, drop-incoming, fail.",
            error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => PipelineSettings.Create(Config.Empty).WithOverflow((OverflowMode)9));
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
    [InlineData("capacity", "0", "1 .. 16777216")]
    [InlineData("capacity", "16777217", "1 .. 16777216")]
    [InlineData("buffer-size", "0", "1 .. 1048576")]
    [InlineData("buffer-size", "-5", "1 .. 1048576")]
    [InlineData("buffer-size", "1048577", "1 .. 1048576")]
    [InlineData("producer-credit", "0", "1 .. 1048576")]
    [InlineData("chunk-size", "0", "1 .. 65536")]
    [InlineData("consumers", "0", "1 .. 4096")]
    [InlineData("parallelism", "0", "1 .. 65536")]
    [InlineData("max-retries", "-1", "0 .. 100")]
    [InlineData("max-retries", "101", "0 .. 100")]
    [InlineData("max-redeliveries", "-1", "0 .. 100")]
    [InlineData("max-redeliveries", "101", "0 .. 100")]
    [InlineData("consumer-timeout", "-1s", "greater than 0")]
    [InlineData("consumer-timeout", "0s", "greater than 0")]
    [InlineData("stop-timeout", "-3s", "greater than 0")]
    [InlineData("max-reported-failures", "-1", "0 .. 1048576")]
    [InlineData("retry-backoff.min", "0s", "greater than 0")]
    [InlineData("retry-backoff.max", "-1s", "greater than 0")]
    [InlineData("retry-backoff.factor", "0.5", "1 .. 100")]
    [InlineData("retry-backoff.jitter", "1.5", "0 .. 1")]
    [InlineData("max-rate", "0", "1 .. 1000000000")]
    [InlineData("max-rate-burst", "0", "1 .. 1000000000")]
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
    [InlineData("capacity", "plenty")]
    [InlineData("consumer-timeout", "soon")]
    public void Malformed_values_are_rejected_with_key_and_value(string key, string value)
    {
        var config = ConfigurationFactory.ParseString($"actor-pipeline.{key} = {value}");

        var error = Assert.Throws<ConfigurationException>(() => PipelineSettings.Create(config));

        Assert.Contains($"actor-pipeline.{key}", error.Message);
        Assert.Contains(value, error.Message);
    }

    [Theory]
    [InlineData("actor-pipeline.bufer-size = 5", "actor-pipeline.bufer-size", "buffer-size")]
    [InlineData("actor-pipeline.pipelines.\"x\".consumer = 2", "actor-pipeline.pipelines.\"x\".consumer", "buffer-size")]
    [InlineData("actor-pipeline.retry-backoff.minimum = 1s", "actor-pipeline.retry-backoff.minimum", "retry-backoff.min")]
    public void Unknown_keys_are_rejected_with_the_known_ones(string hocon, string key, string known)
    {
        var error = Assert.Throws<ConfigurationException>(() => PipelineSettings.Create(ConfigurationFactory.ParseString(hocon), "x"));

        Assert.Contains($"{key} is not a setting of ActorPipeline", error.Message);
        Assert.Contains(known, error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Code_overrides_are_validated_like_configuration(int bufferSize)
    {
        var settings = PipelineSettings.Create(Config.Empty);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => settings.WithBufferSize(bufferSize));

        Assert.Contains($"actor-pipeline.buffer-size = {bufferSize} is out of range; allowed: 1 .. 1048576", error.Message);
        Assert.Equal("items", error.ParamName);
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

    [Fact]
    public void An_error_names_the_key_where_the_value_was_written()
    {
        var config = ConfigurationFactory.ParseString("""actor-pipeline { chunk-size = 8, pipelines { "cfg" { chunk-size = 0 } } }""");

        var error = Assert.Throws<ConfigurationException>(() => PipelineSettings.Create(config, "cfg"));

        Assert.StartsWith("actor-pipeline.pipelines.\"cfg\".chunk-size = 0 is out of range", error.Message);
    }

    [Fact]
    public void Capacity_is_auto_by_default()
    {
        var settings = PipelineSettings.Create(Config.Empty);

        Assert.Null(settings.Capacity);
        Assert.Equal(3 * 256 + 1024 + 9 * 256 + 256, settings.MaxItemsInFlight(3));
    }

    // The table of derived sizes in the README, for the default four consumers and for two.
    [Theory]
    [InlineData(1, 4, 1, 1, 1, 1)]
    [InlineData(5, 4, 5, 5, 5, 5)]
    [InlineData(64, 4, 64, 16, 16, 8)]
    [InlineData(1024, 4, 1024, 256, 256, 8)]
    [InlineData(65536, 4, 65536, 256, 256, 8)]
    [InlineData(5, 2, 5, 5, 5, 4)]
    [InlineData(64, 2, 64, 32, 32, 4)]
    public void A_capacity_derives_the_sizes_that_were_not_chosen(int capacity, int consumers, int buffer, int chunk, int credit, int parallelism)
    {
        var settings = PipelineSettings.Create(Config.Empty).WithConsumers(consumers).WithCapacity(capacity);

        Assert.Equal((buffer, chunk, credit, parallelism), (settings.BufferSize, settings.ChunkSize, settings.ProducerCredit, settings.ParallelismBound));
        Assert.Equal(capacity, settings.MaxItemsInFlight(16));
    }

    [Fact]
    public void Sizes_chosen_in_configuration_are_kept_under_a_capacity()
    {
        var config = ConfigurationFactory.ParseString("actor-pipeline { capacity = 100, chunk-size = 10, parallelism = 3 }");

        var settings = PipelineSettings.Create(config).EnsureFitsCapacity();

        Assert.Equal((100, 10, 3, 100), (settings.Capacity, settings.ChunkSize, settings.ParallelismBound, settings.BufferSize));
    }

    [Theory]
    [InlineData("buffer-size = 6", "actor-pipeline.buffer-size = 6 does not fit actor-pipeline.capacity = 5")]
    [InlineData("chunk-size = 64", "actor-pipeline.chunk-size = 64 does not fit actor-pipeline.capacity = 5")]
    [InlineData("pipelines.\"p\" { producer-credit = 8 }", "actor-pipeline.pipelines.\"p\".producer-credit = 8 does not fit actor-pipeline.capacity = 5")]
    public void A_chosen_size_larger_than_the_capacity_is_rejected_naming_both(string hocon, string message)
    {
        var config = ConfigurationFactory.ParseString($"actor-pipeline {{ capacity = 5, {hocon} }}");

        var error = Assert.Throws<ConfigurationException>(() => PipelineSettings.Create(config, "p").EnsureFitsCapacity());

        Assert.StartsWith(message, error.Message);
    }

    [Fact]
    public void A_capacity_given_in_code_derives_every_size_again_and_sizes_chosen_after_it_must_fit()
    {
        var configured = PipelineSettings.Create(ConfigurationFactory.ParseString("actor-pipeline { buffer-size = 500, chunk-size = 50 }"));

        var derived = configured.WithCapacity(5).EnsureFitsCapacity();
        var chosen = configured.WithCapacity(64).WithChunkSize(4).EnsureFitsCapacity();

        Assert.Equal((5, 5, 5), (derived.BufferSize, derived.ChunkSize, derived.ProducerCredit));
        Assert.Equal((64, 4), (chosen.BufferSize, chosen.ChunkSize));
        Assert.Throws<ConfigurationException>(() => configured.WithCapacity(5).WithBufferSize(64).EnsureFitsCapacity());
        // WithCapacity derived every size again: back at auto, the sizes are the auto ones, not the configured 500.
        Assert.Equal(1024, configured.WithCapacity(5).WithCapacity(null).BufferSize);
    }

    [Theory]
    [InlineData("buffer-size = 1024")]
    [InlineData("producer-credit = 256")]
    [InlineData("chunk-size = 256")]
    public void A_size_set_in_configuration_counts_as_set_even_when_it_equals_what_auto_would_be(string size)
    {
        var config = ConfigurationFactory.ParseString($"actor-pipeline {{ capacity = 64, {size} }}");

        var error = Assert.Throws<ConfigurationException>(() => PipelineSettings.Create(config).EnsureFitsCapacity());

        Assert.StartsWith($"actor-pipeline.{size.Split(' ')[0]} = {size.Split(' ')[2]} does not fit actor-pipeline.capacity = 64", error.Message);
    }

    [Fact]
    public void Settings_read_alike_are_equal()
    {
        var config = ConfigurationFactory.ParseString("actor-pipeline.pipelines.p { capacity = 8, consumers = 2 }");

        Assert.Equal(PipelineSettings.Create(config, "p"), PipelineSettings.Create(config, "p"));
        Assert.NotEqual(PipelineSettings.Create(config, "p"), PipelineSettings.Create(config, "q"));
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

    [Fact]
    public void Retry_backoff_and_max_rate_are_off_by_default_and_read_from_configuration()
    {
        var defaults = PipelineSettings.Create(Config.Empty);
        var set = PipelineSettings.Create(ConfigurationFactory.ParseString("""
            actor-pipeline {
              retry-backoff { min = 50ms, max = 2s, factor = 3, jitter = 0 }
              max-rate = 250
            }
            """));

        Assert.Null(defaults.RetryBackoff);
        Assert.Null(defaults.MaxRate);
        Assert.Equal(new RetryBackoff(TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(2), 3, 0), set.RetryBackoff);
        Assert.Equal((250, 25), (set.MaxRate, set.MaxRateBurst));
    }

    [Fact]
    public void A_backoff_turned_on_in_code_keeps_the_configured_max_factor_and_jitter_and_can_be_turned_off()
    {
        var settings = PipelineSettings.Create(Config.Empty).WithRetryBackoff(TimeSpan.FromMilliseconds(100));

        Assert.Equal(new RetryBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10), 2, 0.2), settings.RetryBackoff);
        Assert.Null(settings.WithRetryBackoff(null).RetryBackoff);
        Assert.Equal((7, 3), (settings.WithMaxRate(7, burst: 3).MaxRate, settings.WithMaxRate(7, burst: 3).MaxRateBurst));
        Assert.Equal(1, settings.WithMaxRate(7).MaxRateBurst);
    }

    [Fact]
    public void A_first_wait_longer_than_the_longest_is_rejected_naming_both()
    {
        var error = Assert.Throws<ConfigurationException>(() => PipelineSettings.Create(
            ConfigurationFactory.ParseString("actor-pipeline.retry-backoff { min = 20s, max = 5s }")));
        var inCode = Assert.Throws<ArgumentOutOfRangeException>(() =>
            PipelineSettings.Create(Config.Empty).WithRetryBackoff(TimeSpan.FromSeconds(1), max: TimeSpan.FromMilliseconds(10)));

        Assert.Contains("actor-pipeline.retry-backoff.min = 00:00:20 is longer than actor-pipeline.retry-backoff.max = 00:00:05", error.Message);
        Assert.Equal("max", inCode.ParamName);
    }

    [Theory]
    [InlineData(1, 0.0, 100)]
    [InlineData(2, 0.0, 200)]
    [InlineData(3, 0.0, 400)]
    [InlineData(10, 0.0, 1000)]
    [InlineData(1, 0.5, 110)]
    public void A_backoff_grows_by_its_factor_up_to_its_max_and_jitter_lengthens_a_wait_by_at_most_its_fraction(int retry, double random, int millis)
    {
        var backoff = new RetryBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), 2, 0.2);

        Assert.Equal(TimeSpan.FromMilliseconds(millis), backoff.Delay(retry, random));
    }
}
