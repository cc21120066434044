using System.Collections.Concurrent;
using System.Diagnostics;
using Akka.Configuration;
using Xunit.Abstractions;

namespace ActorPipeline.Tests;

/// <summary>Traces by the messaging conventions: items enter under a publish span, a consumer handles them under a
/// process span that continues and links those, and a handler's own spans sit in the item's trace.</summary>
public sealed class TracingSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.loglevel = ERROR"), output: output), IDisposable
{
    private static readonly ActivitySource Handler = new("TracingSpec.Handler");
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener = new()
    {
        ShouldListenTo = source => source.Name is "ActorPipeline" or "TracingSpec.Handler",
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    private Activity[] Spans(string pipeline, ActivityKind kind) =>
        _stopped.Where(a => a.Kind == kind && Equals(a.GetTagItem("messaging.destination.name"), pipeline)).ToArray();

    [Fact]
    public async Task A_handler_s_span_sits_under_the_process_span_which_continues_and_links_the_publish_spans_of_its_items()
    {
        _listener.ActivityStopped = _stopped.Enqueue;
        ActivitySource.AddActivityListener(_listener);
        using var job = Handler.StartActivity("job");
        var handled = new ConcurrentQueue<(int Item, string? Parent)>();
        var pipeline = Pipeline.Create<int>(Sys, "traced")
            .WithSettings(s => s.WithConsumers(2).WithMaxRetries(1))
            .WithSource(ct => TestSources.Range(0, 40, cancellationToken: ct))
            .WithHandler(item =>
            {
                using var call = Handler.StartActivity("store");
                handled.Enqueue((item, call?.ParentId));
                if (item == 13 && handled.Count(h => h.Item == 13) == 1)
                    throw new InvalidOperationException("once");
            })
            .Start();
        job?.Stop();

        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.Equal(40L, report.Succeeded);
        var publishes = Spans("traced", ActivityKind.Producer);
        var processes = Spans("traced", ActivityKind.Consumer);
        Assert.NotEmpty(publishes);
        Assert.All(publishes, p => Assert.Equal(("publish traced", "publish", "send", "actorpipeline", job!.TraceId),
            (p.DisplayName, p.GetTagItem("messaging.operation.name"), p.GetTagItem("messaging.operation.type"), p.GetTagItem("messaging.system"), p.TraceId)));
        Assert.Equal(40, publishes.Sum(p => p.GetTagItem("messaging.batch.message_count") as int? ?? 1));
        Assert.All(processes, p =>
        {
            Assert.Equal(("process traced", "process"), (p.DisplayName, p.GetTagItem("messaging.operation.name")));
            Assert.Contains(publishes, pub => pub.SpanId == p.ParentSpanId);
            Assert.All(p.Links, l => Assert.Contains(publishes, pub => pub.SpanId == l.Context.SpanId));
        });
        // Every handler call ran inside a process span: its own span's parent is one.
        Assert.Equal(41, handled.Count);
        Assert.All(handled, h => Assert.Contains(processes, p => p.Id == h.Parent));
        Assert.Contains(processes, p => p.Events.Any(e => e.Name == "retry"));
    }

    [Fact]
    public async Task A_chunk_given_up_at_the_stop_deadline_ends_its_span_with_an_abandoned_event()
    {
        _listener.ActivityStopped = _stopped.Enqueue;
        ActivitySource.AddActivityListener(_listener);
        var pipeline = Pipeline.Create<int>(Sys, "traced-abandoned")
            .WithSettings(s => s.WithConsumers(1).WithKeepAlive(true))
            .WithSource(ct => TestSources.Range(0, 5, cancellationToken: ct))
            .WithHandler(async (_, ct) => await Task.Delay(Timeout.Infinite, ct))
            .Start();
        await AwaitConditionAsync(async () => (await pipeline.GetStatusAsync()).Produced == 5, TestSources.Hang, TestSources.Poll);

        var report = await pipeline.DrainAsync(TimeSpan.FromMilliseconds(100)).WaitAsync(TestSources.Hang);

        Assert.Equal(5L, report.Abandoned);
        await AwaitConditionAsync(() => Spans("traced-abandoned", ActivityKind.Consumer).Length > 0, TestSources.Hang, TestSources.Poll);
        var process = Assert.Single(Spans("traced-abandoned", ActivityKind.Consumer));
        Assert.Contains(process.Events, e => e.Name == "abandoned");
        Assert.Equal(ActivityStatusCode.Error, process.Status);
    }

    [Fact]
    public async Task Without_a_listener_no_span_is_made_and_chunks_carry_no_trace()
    {
        Activity? seen = null;
        var report = await Pipeline.Create<int>(Sys, "untraced")
            .WithSource(ct => TestSources.Range(0, 10, cancellationToken: ct))
            .WithHandler(_ => seen ??= Activity.Current)
            .Start().Completion.WaitAsync(TestSources.Hang);

        Assert.Equal(10L, report.Succeeded);
        Assert.Null(seen);
        Assert.False(Handler.HasListeners());
    }

    void IDisposable.Dispose()
    {
        _listener.Dispose();
        base.Dispose();
    }
}
