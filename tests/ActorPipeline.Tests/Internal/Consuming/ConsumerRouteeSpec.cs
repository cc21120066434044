using ActorPipeline.Internal;
using Akka.Actor;
using Akka.Configuration;
using Xunit.Abstractions;

namespace ActorPipeline.Tests.Internal;

public sealed class ConsumerRouteeSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.loglevel = ERROR"), output: output)
{
    private IActorRef Routee(Func<int, CancellationToken, ValueTask> handle, int maxRetries = 0, TimeSpan? timeout = null) =>
        Sys.ActorOf(ConsumerRoutee<int>.PropsFor(
            () => ItemInvoker<int>.For(new DelegateHandler<int>(handle)), TestActor,
            PipelineSettings.Create(Config.Empty).WithMaxRetries(maxRetries).WithConsumerTimeout(timeout ?? TimeSpan.FromSeconds(30))));

    [Fact]
    public async Task A_chunk_is_answered_with_its_failures_by_index_and_the_retries_made()
    {
        var tries = new Dictionary<int, int>();
        var routee = Routee((n, _) =>
        {
            tries[n] = tries.GetValueOrDefault(n) + 1;
            return n switch
            {
                2 => throw new InvalidOperationException("always"),
                3 when tries[n] == 1 => ValueTask.FromException(new InvalidOperationException("once")),
                _ => ValueTask.CompletedTask,
            };
        }, maxRetries: 1);

        routee.Tell(new ConsumeChunk<int>(7, [0, 1, 2, 3, 4], Attempt: 0));

        var answer = await ExpectMsgAsync<ChunkConsumed>();
        Assert.Equal((7L, 5, 2, (Exception?)null), (answer.ChunkId, answer.Answered, answer.Retried, answer.Interruption));
        var fault = Assert.Single(answer.Failures);
        Assert.Equal((2, 2, "always"), (fault.Index, fault.Attempts, fault.Cause.Message));
    }

    [Fact]
    public async Task A_chunk_already_tried_has_fewer_retries_left()
    {
        var routee = Routee((_, _) => throw new InvalidOperationException("no"), maxRetries: 2);

        routee.Tell(new ConsumeChunk<int>(1, [0], Attempt: 2));

        var answer = await ExpectMsgAsync<ChunkConsumed>();
        Assert.Equal(0, answer.Retried);
        Assert.Equal(3, Assert.Single(answer.Failures).Attempts);
    }

    [Fact]
    public async Task Chunks_are_handled_one_after_another_in_arrival_order()
    {
        var order = new List<int>();
        var routee = Routee(async (n, _) =>
        {
            await Task.Yield();
            lock (order)
                order.Add(n);
        });

        routee.Tell(new ConsumeChunk<int>(1, [1, 2], 0));
        routee.Tell(new ConsumeChunk<int>(2, [3, 4], 0));

        Assert.Equal(1, (await ExpectMsgAsync<ChunkConsumed>()).ChunkId);
        Assert.Equal(2, (await ExpectMsgAsync<ChunkConsumed>()).ChunkId);
        Assert.Equal([1, 2, 3, 4], order);
    }

    [Fact]
    public async Task A_killed_routee_answers_for_the_item_in_its_handler_and_for_chunks_it_had_not_started()
    {
        var inHandler = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var routee = Routee(async (n, ct) =>
        {
            if (n != 1)
                return;
            inHandler.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
        });

        routee.Tell(new ConsumeChunk<int>(1, [0, 1, 2], 0));
        routee.Tell(new ConsumeChunk<int>(2, [3], 0));
        await inHandler.Task.WaitAsync(TimeSpan.FromSeconds(30));
        routee.Tell(Kill.Instance);

        // A top-level actor that is killed is stopped by its guardian: a stopped routee answers that it was lost, which
        // spends no retry (a pool restarts a killed routee instead, and that answer is a crash: PipelineFailureSpec).
        var current = await ExpectMsgAsync<ChunkConsumed>();
        Assert.Equal((1L, 1, true), (current.ChunkId, current.Answered, current.InterruptedItemStarted));
        Assert.IsType<ConsumerLostException>(current.Interruption);
        var waiting = await ExpectMsgAsync<ChunkConsumed>();
        Assert.Equal((2L, 0, false), (waiting.ChunkId, waiting.Answered, waiting.InterruptedItemStarted));
    }

    [Fact]
    public async Task A_handler_past_its_timeout_fails_the_item_with_a_timeout_and_the_chunk_goes_on()
    {
        var routee = Routee(async (n, ct) =>
        {
            if (n == 0)
                await Task.Delay(Timeout.Infinite, CancellationToken.None); // ignores its token
        }, timeout: TimeSpan.FromMilliseconds(100));

        routee.Tell(new ConsumeChunk<int>(1, [0, 1], 0));

        // The pipeline's sweep asks a routee without progress to check its handler; here the spec asks, until the item
        // has been in its handler for longer than the timeout and the answer comes.
        ChunkConsumed? answer = null;
        await AwaitAssertAsync(async () =>
        {
            routee.Tell(CheckHandler.Instance);
            answer = await ExpectMsgAsync<ChunkConsumed>(TimeSpan.FromMilliseconds(200));
        }, TimeSpan.FromSeconds(30));
        Assert.NotNull(answer);
        Assert.Equal(2, answer.Answered);
        Assert.IsType<TimeoutException>(Assert.Single(answer.Failures).Cause);
    }

    [Fact]
    public async Task A_routee_asked_to_check_a_handler_within_its_timeout_leaves_it_running()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var routee = Routee(async (_, _) => await release.Task);

        routee.Tell(new ConsumeChunk<int>(1, [0], 0));
        routee.Tell(CheckHandler.Instance);
        await ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));
        release.SetResult();

        var answer = await ExpectMsgAsync<ChunkConsumed>();
        Assert.Equal((1, 0), (answer.Answered, answer.Failures.Count));
    }

    [Fact]
    public async Task A_disposable_handler_is_disposed_when_its_routee_stops()
    {
        DisposableHandler.Disposed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var routee = Sys.ActorOf(ConsumerRoutee<int>.PropsFor(new RouteeSettings(typeof(DisposableHandler), TestActor, 0, TimeSpan.FromSeconds(30), RetryLater: false)));
        routee.Tell(new ConsumeChunk<int>(1, [1], 0));
        await ExpectMsgAsync<ChunkConsumed>();

        Sys.Stop(routee);

        await DisposableHandler.Disposed.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private sealed class DisposableHandler : IItemHandler<int>, IDisposable
    {
        public static TaskCompletionSource Disposed { get; set; } = new();

        public ValueTask HandleAsync(int item, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public void Dispose() => Disposed.TrySetResult();
    }

    [Fact]
    public async Task A_chunk_abandoned_by_message_cancels_its_handler_drops_the_rest_and_its_span_says_abandoned()
    {
        // As a routee on a worker node is told: the chunks carry no progress object.
        var stopped = new System.Collections.Concurrent.ConcurrentQueue<System.Diagnostics.Activity>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == "ActorPipeline",
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        var trace = new System.Diagnostics.ActivityContext(
            System.Diagnostics.ActivityTraceId.CreateRandom(), System.Diagnostics.ActivitySpanId.CreateRandom(), System.Diagnostics.ActivityTraceFlags.Recorded);
        var started = new System.Collections.Concurrent.ConcurrentQueue<int>();
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var routee = Routee(async (n, ct) =>
        {
            started.Enqueue(n);
            if (n == 0)
            {
                await using var _ = ct.Register(() => cancelled.TrySetResult());
                await Task.Delay(Timeout.Infinite, ct);
            }
        });

        routee.Tell(new ConsumeChunk<int>(7, [0, 1, 2], Attempt: 0) { Traces = [trace] });
        routee.Tell(new ConsumeChunk<int>(8, [3], Attempt: 0));
        await AwaitConditionAsync(() => started.Contains(0), TestSources.Hang, TestSources.Poll);
        routee.Tell(new ChunkAbandoned(8));
        routee.Tell(new ChunkAbandoned(7));
        routee.Tell(new ConsumeChunk<int>(9, [4], Attempt: 0));

        // The only answer is chunk 9's: 7 and 8 were settled by the pipeline; the handler of 0 was cancelled, and 1, 2 and
        // 3 never ran.
        Assert.Equal(9L, (await ExpectMsgAsync<ChunkConsumed>()).ChunkId);
        await cancelled.Task.WaitAsync(TestSources.Hang);
        Assert.Equal([0, 4], started);
        var span = Assert.Single(stopped, a => a.TraceId == trace.TraceId);
        Assert.Contains(span.Events, e => e.Name == "abandoned");
    }
}
