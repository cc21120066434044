using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Akka.Configuration;
using Xunit.Abstractions;

namespace ActorPipeline.Tests.Internal;

public sealed class PipelineMetricsSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.loglevel = ERROR"), output: output), IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Instrument, string Pipeline), List<double>> _measurements = new();
    private readonly ConcurrentDictionary<(string Pipeline, string ErrorType), long> _failedTypes = new();
    private readonly ConcurrentDictionary<(string Pipeline, string Reason), long> _dropReasons = new();

    private void Listen()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "ActorPipeline")
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? pipeline = null, errorType = null, system = null, reason = null;
        foreach (var tag in tags)
        {
            switch (tag)
            {
                case { Key: "messaging.destination.name", Value: string name }:
                    pipeline = name;
                    break;
                case { Key: "error.type", Value: string type }:
                    errorType = type;
                    break;
                case { Key: "messaging.system", Value: string named }:
                    system = named;
                    break;
                case { Key: "actorpipeline.drop.reason", Value: string why }:
                    reason = why;
                    break;
            }
        }

        if (pipeline is null || system != "actorpipeline")
            return;
        var values = _measurements.GetOrAdd((instrument.Name, pipeline), _ => []);
        lock (values)
            values.Add(value);
        if (errorType is not null)
            _failedTypes.AddOrUpdate((pipeline, errorType), (long)value, (_, n) => n + (long)value);
        if (reason is not null)
            _dropReasons.AddOrUpdate((pipeline, reason), (long)value, (_, n) => n + (long)value);
    }

    private double[] Of(string instrument, string pipeline)
    {
        if (!_measurements.TryGetValue((instrument, pipeline), out var values))
            return [];
        lock (values)
            return values.ToArray();
    }

    [Fact]
    public async Task The_dropped_counter_matches_the_report_by_reason()
    {
        Listen();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dropped = 0;
        var pipeline = Pipeline.Create<int>(Sys, "metered-drops")
            .WithSettings(s => s.WithCapacity(4).WithConsumers(1))
            .WithOverflow(OverflowMode.DropIncoming)
            .WithSource(ct => TestSources.Range(0, 100, cancellationToken: ct))
            .WithHandler(async (_, ct) => await gate.Task.WaitAsync(ct))
            .OnDroppedItem((_, _) => Interlocked.Increment(ref dropped))
            .Start();

        // Nothing finishes until every item has come: the four that found credit are handled, the others dropped.
        await AwaitConditionAsync(() => Task.FromResult(Volatile.Read(ref dropped) == 96), TestSources.Hang, TestSources.Poll);
        gate.SetResult();
        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.Equal((100L, 4L, 96L), (report.Produced, report.Succeeded, report.Dropped));
        Assert.Equal(96, Of("actorpipeline.items.dropped", "metered-drops").Sum());
        Assert.Equal(96, _dropReasons.GetValueOrDefault(("metered-drops", "incoming")));
        Assert.Equal(100, Of("messaging.client.sent.messages", "metered-drops").Sum());
    }

    [Fact]
    public async Task Counters_and_the_handler_histogram_match_the_report()
    {
        Listen();
        var attempts = new ConcurrentDictionary<int, int>();
        var report = await Pipeline.Create<int>(Sys, "metered")
            .WithSettings(s => s.WithMaxRetries(1))
            .WithSource(ct => TestSources.Range(0, 300, cancellationToken: ct))
            .WithHandler(n =>
            {
                var attempt = attempts.AddOrUpdate(n, 1, (_, a) => a + 1);
                if (n % 10 == 0 || (n % 10 == 1 && attempt == 1))
                    throw new InvalidOperationException("metered failure");
            })
            .Start().Completion.WaitAsync(TestSources.Hang);

        Assert.Equal((300L, 270L, 30L, 60L), (report.Produced, report.Succeeded, report.Failed, report.Retried));
        Assert.Equal(report.Produced, Of("messaging.client.sent.messages", "metered").Sum());
        Assert.Equal(report.Succeeded + report.Failed, Of("messaging.client.consumed.messages", "metered").Sum());
        Assert.Equal(report.Failed, _failedTypes[("metered", typeof(InvalidOperationException).FullName!)]);
        Assert.Equal(report.Failed, Of("actorpipeline.items.failed", "metered").Sum());
        Assert.Equal(report.Retried, Of("actorpipeline.items.retried", "metered").Sum());
        var durations = Of("messaging.process.duration", "metered");
        Assert.Equal(attempts.Values.Sum(), durations.Length);
        Assert.All(durations, d => Assert.InRange(d, 0, 30));
    }

    [Fact]
    public async Task Gauges_show_items_in_flight_and_queued_within_the_bound_while_the_pipeline_runs()
    {
        Listen();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pipeline = Pipeline.Create<int>(Sys, "gauged")
            .WithSettings(s => s.WithBufferSize(64).WithConsumers(1).WithParallelism(1))
            .WithSource(ct => TestSources.Range(0, 10_000, cancellationToken: ct))
            .WithHandler(async (_, ct) => await release.Task.WaitAsync(ct))
            .Start();
        await AwaitAssertAsync(async () => Assert.True((await pipeline.GetStatusAsync()).Produced > 64));
        await AwaitConditionAsync(async () => (await pipeline.GetStatusAsync()).ProducersWaiting == 1, TestSources.Hang, TestSources.Poll);

        _listener.RecordObservableInstruments();
        Assert.Equal(1, Assert.Single(Of("actorpipeline.producers.waiting", "gauged")));
        var inFlight = Assert.Single(Of("actorpipeline.items.in_flight", "gauged"));
        var queued = Assert.Single(Of("actorpipeline.queue.depth", "gauged"));
        var capacity = Assert.Single(Of("actorpipeline.capacity", "gauged"));
        release.SetResult();
        await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.InRange(inFlight, 65, pipeline.Capacity);
        Assert.InRange(queued, 1, inFlight);
        Assert.Equal(pipeline.Capacity, capacity);
        // The source found the capacity used up while the handler held its items, and waited for credit until released.
        Assert.NotEmpty(Of("actorpipeline.producer.credit_wait.duration", "gauged"));
        _listener.RecordObservableInstruments();
        Assert.Single(Of("actorpipeline.items.in_flight", "gauged"));
    }

    void IDisposable.Dispose()
    {
        _listener.Dispose();
        base.Dispose();
    }
}
