using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using Xunit.Abstractions;

namespace ActorPipeline.Tests;

public sealed class PipelineFailureSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.loglevel = ERROR"), output: output)
{
    private PipelineBuilder<int> Create(string name, int consumers = 2) =>
        Pipeline.Create<int>(Sys, name).WithSettings(s => s.WithConsumers(consumers));

    [Fact]
    public async Task A_throwing_handler_fails_that_item_only_and_reports_it_with_its_exception()
    {
        var callback = new ConcurrentBag<ItemFailure>();
        var report = await Create("throws")
            .WithSource(ct => TestSources.Range(0, 100, cancellationToken: ct))
            .WithHandler(n =>
            {
                if (n % 10 == 3)
                    throw new InvalidDataException($"bad {n}");
            })
            .OnFailedItem(callback.Add)
            .Start().Completion.WaitAsync(TestSources.Hang);

        Assert.Equal((100L, 90L, 10L, 0L), (report.Produced, report.Succeeded, report.Failed, report.Retried));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i * 10 + 3), report.Failures.Select(f => (int)f.Item!).Order());
        Assert.All(report.Failures, f =>
        {
            Assert.Equal($"bad {f.Item}", Assert.IsType<InvalidDataException>(f.Cause).Message);
            Assert.Equal(1, f.Attempts);
            Assert.NotNull(f.Consumer);
        });
        Assert.Equal(report.Failures.Select(f => f.Item).Order(), callback.Select(f => f.Item).Order());
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(2, true)]
    public async Task A_seeded_tenth_of_items_failing_is_counted_exactly_with_or_without_retries(int retries, bool passOnRetry)
    {
        var random = new Random(2026);
        var failing = Enumerable.Range(0, 2000).Where(_ => random.NextDouble() < 0.1).ToHashSet();
        var attempts = new ConcurrentDictionary<int, int>();
        var report = await Create($"tenth-{retries}")
            .WithSettings(s => s.WithMaxRetries(retries))
            .WithSource(ct => TestSources.Range(0, 1000, cancellationToken: ct))
            .WithSource(ct => TestSources.Range(1000, 1000, cancellationToken: ct))
            .WithHandler(n =>
            {
                var attempt = attempts.AddOrUpdate(n, 1, (_, a) => a + 1);
                if (failing.Contains(n) && !(passOnRetry && attempt > 1))
                    throw new InvalidOperationException($"seeded failure of {n}");
            })
            .Start().Completion.WaitAsync(TestSources.Hang);

        var expectedFailed = passOnRetry ? 0 : failing.Count;
        Assert.Equal((2000L, 2000L - expectedFailed, (long)expectedFailed), (report.Produced, report.Succeeded, report.Failed));
        Assert.Equal(passOnRetry ? failing.Count : 0, report.Retried);
        Assert.Equal(failing.Where(_ => !passOnRetry).Order(), report.Failures.Select(f => (int)f.Item!).Order());
        Assert.All(report.Failures, f => Assert.StartsWith("seeded failure", f.Cause.Message));
    }

    [Fact]
    public async Task Retries_are_made_and_counted_and_an_item_that_passes_on_retry_succeeds()
    {
        var attempts = new ConcurrentDictionary<int, int>();
        var report = await Create("retries")
            .WithSettings(s => s.WithMaxRetries(2))
            .WithSource(ct => TestSources.Range(0, 30, cancellationToken: ct))
            .WithHandler(n =>
            {
                var attempt = attempts.AddOrUpdate(n, 1, (_, a) => a + 1);
                // n % 3 == 0 passes first time, == 1 on the second try, == 2 never.
                if (attempt <= n % 3 && n % 3 == 1 || n % 3 == 2)
                    throw new InvalidOperationException($"attempt {attempt} of {n}");
            })
            .Start().Completion.WaitAsync(TestSources.Hang);

        Assert.Equal(30 - 10, report.Succeeded);
        Assert.Equal(10, report.Failed);
        Assert.Equal(10 * 1 + 10 * 2, report.Retried);
        Assert.All(report.Failures, f => Assert.Equal(3, f.Attempts));
        Assert.Equal(10 * 1 + 10 * 2 + 10 * 3, attempts.Values.Sum());
    }

    [Fact]
    public async Task A_handler_that_outlives_consumer_timeout_fails_that_item_and_the_run_goes_on()
    {
        var report = await Create("hangs", consumers: 1)
            .WithSettings(s => s.WithConsumerTimeout(TimeSpan.FromMilliseconds(200)))
            .WithSource(ct => TestSources.Range(0, 20, cancellationToken: ct))
            .WithHandler(async (n, ct) =>
            {
                if (n == 5)
                    await Task.Delay(Timeout.Infinite, ct);
            })
            .Start().Completion.WaitAsync(TestSources.Hang);

        Assert.Equal((19L, 1L), (report.Succeeded, report.Failed));
        var failure = Assert.Single(report.Failures);
        Assert.Equal(5, failure.Item);
        Assert.IsType<TimeoutException>(failure.Cause);
        Assert.Contains("consumer-timeout", failure.Cause.Message);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public async Task An_item_whose_routee_stops_under_it_goes_again_without_a_retry_and_fails_only_after_max_redeliveries(int stops)
    {
        // Each time item 3 is in its handler, the routee holding it is stopped (as when its node leaves): with the
        // defaults (max-retries 0, max-redeliveries 3) the item is sent again three times, and fails at the fourth loss.
        var holders = System.Threading.Channels.Channel.CreateUnbounded<IActorRef>();
        var stopped = 0;
        var pipeline = Create($"stops-{stops}", consumers: 6)
            .WithSource(ct => TestSources.Range(0, 10, cancellationToken: ct))
            .WithHandler(async (n, ct) =>
            {
                if (n == 3 && holders.Reader.Count + Volatile.Read(ref stopped) < stops)
                {
                    holders.Writer.TryWrite(ActorCell.GetCurrentSelfOrNoSender()!); // the routee, while it calls the handler
                    await Task.Delay(Timeout.Infinite, ct);
                }
            })
            .Start();

        for (var i = 0; i < stops; i++)
        {
            var holder = await holders.Reader.ReadAsync().AsTask().WaitAsync(TestSources.Hang);
            Interlocked.Increment(ref stopped);
            Sys.Stop(holder);
        }

        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.Equal(0, report.Retried);
        if (stops <= 3)
        {
            Assert.Equal((10L, 0L), (report.Succeeded, report.Failed));
        }
        else
        {
            Assert.Equal((9L, 1L), (report.Succeeded, report.Failed));
            var failure = Assert.Single(report.Failures);
            Assert.Equal(3, failure.Item);
            Assert.IsType<ConsumerLostException>(failure.Cause);
            Assert.Contains("max-redeliveries = 3", failure.Cause.Message);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task A_routee_killed_while_holding_an_item_answers_for_it_and_the_item_is_retried_or_failed(int maxRetries)
    {
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = new ConcurrentDictionary<int, int>();
        var pipeline = Create($"killed-{maxRetries}", consumers: 1)
            .WithSettings(s => s.WithMaxRetries(maxRetries).WithChunkSize(1))
            .WithSource(ct => TestSources.Range(0, 10, cancellationToken: ct))
            .WithHandler(async (n, ct) =>
            {
                if (n == 3 && attempts.AddOrUpdate(n, 1, (_, a) => a + 1) == 1)
                {
                    holding.SetResult();
                    await Task.Delay(Timeout.Infinite, ct);
                }
            })
            .Start();

        await holding.Task.WaitAsync(TestSources.Hang);
        Sys.ActorSelection($"/user/killed-{maxRetries}/consumers/*").Tell(Kill.Instance);
        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.Equal(10, report.Succeeded + report.Failed);
        if (maxRetries == 0)
        {
            var failure = Assert.Single(report.Failures);
            Assert.Equal(3, failure.Item);
            Assert.IsType<ActorKilledException>(failure.Cause);
        }
        else
        {
            Assert.Equal((10L, 0L), (report.Succeeded, report.Failed));
            Assert.True(report.Retried >= 1);
            Assert.Equal(2, attempts[3]);
        }
    }

    [Fact]
    public async Task A_routee_stopped_while_holding_an_item_answers_for_it_and_another_routee_takes_it()
    {
        var holding = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = new ConcurrentDictionary<int, int>();
        HoldingHandler.Holding = holding;
        HoldingHandler.Attempts = attempts;
        // No retries: a routee that stops (rather than crashes) costs its item no attempt; it is delivered again.
        var pipeline = Create("stopped-routee", consumers: 2)
            .WithSettings(s => s.WithChunkSize(1))
            .WithSource(ct => TestSources.Range(0, 50, cancellationToken: ct))
            .WithHandler<HoldingHandler>()
            .Start();

        var routeeName = await holding.Task.WaitAsync(TestSources.Hang);
        var routee = await Sys.ActorSelection($"/user/stopped-routee/consumers/{routeeName}").ResolveOne(TestSources.Hang);
        Sys.Stop(routee);
        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.Equal((50L, 0L, 0L), (report.Succeeded, report.Failed, report.Retried));
        Assert.Equal(2, attempts[7]);
    }

    [Fact]
    public async Task A_dead_stream_faults_the_report_with_the_cause_and_the_counts_so_far()
    {
        var owner = CreateTestProbe();
        var pipeline = Create("dead-stream").WithHandler(_ => { }).WithProducer(owner.Ref).Start();
        var gateway = (await owner.ExpectMsgAsync<ProducerRegistered>()).Gateway;
        gateway.Tell(new ProduceBatch<int>([1, 2, 3]), owner.Ref);
        await AwaitAssertAsync(async () => Assert.Equal(3, (await pipeline.GetStatusAsync()).Succeeded));

        var stream = await Sys.ActorSelection("/user/dead-stream/StreamSupervisor-*").ResolveOne(TestSources.Hang);
        Sys.Stop(stream);

        var error = await Assert.ThrowsAsync<PipelineFaultedException>(() => pipeline.Completion.WaitAsync(TestSources.Hang));
        Assert.Contains("stream failed", error.Message);
        Assert.NotNull(error.InnerException);
        Assert.Equal((PipelineOutcome.Faulted, 3L, 3L), (error.Report.Outcome, error.Report.Produced, error.Report.Succeeded));
    }

    [Theory]
    [InlineData(64, 1, 1, 50)]
    [InlineData(1, 1, 1, 3000)]
    [InlineData(16, 1, 64, 0)]
    public async Task Extreme_shapes_complete_with_every_item_accounted_for(int producers, int buffer, int credit, int items)
    {
        var builder = Create($"shape-{producers}-{buffer}-{credit}-{items}")
            .WithSettings(s => s.WithBufferSize(buffer).WithProducerCredit(credit))
            .WithHandler(async (_, _) => await Task.Yield());
        for (var p = 0; p < producers; p++)
        {
            var start = p * 10_000;
            builder.WithSource(ct => TestSources.Range(start, items, cancellationToken: ct));
        }

        var report = await builder.Start().Completion.WaitAsync(TestSources.Hang);

        Assert.Equal(((long)producers * items, (long)producers * items, 0L), (report.Produced, report.Succeeded, report.Failed));
        Assert.Equal(producers, report.Producers.Count);
    }

    [Fact]
    public async Task Huge_items_pass_with_memory_bounded_by_the_items_in_flight()
    {
        const int megabyte = 1 << 20;
        long live = 0, peak = 0;
        var pipeline = Pipeline.Create<byte[]>(Sys, "huge")
            .WithSettings(s => s.WithBufferSize(4).WithProducerCredit(2).WithChunkSize(2).WithConsumers(2))
            .WithSource(ct => Megabytes(200, () =>
            {
                var now = Interlocked.Increment(ref live);
                long seen;
                while (now > (seen = Interlocked.Read(ref peak)) && Interlocked.CompareExchange(ref peak, now, seen) != seen)
                {
                }
            }))
            .WithHandler(block =>
            {
                Assert.Equal(megabyte, block.Length);
                Interlocked.Decrement(ref live);
            })
            .Start();

        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.Equal(200, report.Succeeded);
        Assert.InRange(Interlocked.Read(ref peak), 1, pipeline.Capacity);

        static async IAsyncEnumerable<byte[]> Megabytes(int count, Action onEmit)
        {
            for (var i = 0; i < count; i++)
            {
                onEmit();
                yield return new byte[megabyte];
            }

            await Task.CompletedTask;
        }
    }

    [Fact]
    public async Task A_custom_consumer_that_crashes_without_answering_has_its_items_retried_after_the_timeout()
    {
        var report = await Create("custom-crash", consumers: 1)
            .WithSettings(s => s.WithMaxRetries(1).WithChunkSize(1).WithConsumerTimeout(TimeSpan.FromMilliseconds(500)))
            .WithSource(ct => TestSources.Range(0, 10, cancellationToken: ct))
            .WithConsumerProps(Props.Create(() => new CrashOnceOnSeven()))
            .Start().Completion.WaitAsync(TestSources.Hang);

        Assert.Equal((10L, 0L, 1L), (report.Succeeded, report.Failed, report.Retried));
    }

    [Fact]
    public async Task A_custom_consumer_that_never_answers_has_its_items_failed_with_a_timeout()
    {
        var report = await Create("custom-silent", consumers: 1)
            .WithSettings(s => s.WithChunkSize(2).WithConsumerTimeout(TimeSpan.FromMilliseconds(200)))
            .WithSource(ct => TestSources.Range(0, 4, cancellationToken: ct))
            .WithConsumerProps(Props.Create(() => new NeverAnswers()))
            .Start().Completion.WaitAsync(TestSources.Hang);

        Assert.Equal((4L, 0L, 4L), (report.Produced, report.Succeeded, report.Failed));
        Assert.All(report.Failures, f => Assert.StartsWith("No consumer answered a chunk", Assert.IsType<TimeoutException>(f.Cause).Message));
    }

    [Fact]
    public async Task A_custom_consumer_that_answers_something_else_fails_those_items_saying_what_it_answered()
    {
        var report = await Create("custom-wrong-answer", consumers: 1)
            .WithSettings(s => s.WithChunkSize(4))
            .WithSource(ct => TestSources.Range(0, 10, cancellationToken: ct))
            .WithConsumerProps(Props.Create(() => new AnswersWithText()))
            .Start().Completion.WaitAsync(TestSources.Hang);

        Assert.Equal((10L, 0L, 10L), (report.Produced, report.Succeeded, report.Failed));
        Assert.Equal(Enumerable.Range(0, 10), report.Failures.Select(f => (int)f.Item!).Order());
        Assert.All(report.Failures, f => Assert.Equal("The consumer answered String instead of ChunkConsumed.", f.Cause.Message));
    }

    [Fact]
    public async Task A_producer_that_throws_is_recorded_its_sent_items_processed_and_the_others_finish()
    {
        var stopped = new ConcurrentBag<ProducerSummary>();
        var report = await Create("bad-source")
            .WithSource("good", ct => TestSources.Range(0, 50, cancellationToken: ct))
            .WithSource("bad", _ => TestSources.ThrowAfter(1000, 7, new IOException("disk gone")))
            .WithHandler(_ => { })
            .OnProducerStopped(stopped.Add)
            .Start().Completion.WaitAsync(TestSources.Hang);

        Assert.Equal(PipelineOutcome.Completed, report.Outcome);
        Assert.Equal((57L, 57L, 0L), (report.Produced, report.Succeeded, report.Failed));
        var bad = report.Producers.Single(p => p.Name == "bad");
        Assert.Equal(7, bad.Produced);
        Assert.Equal("disk gone", Assert.IsType<IOException>(bad.Failure).Message);
        Assert.Null(report.Producers.Single(p => p.Name == "good").Failure);
        Assert.Equal(["bad", "good"], stopped.Select(s => s.Name).Order());
    }

    [Fact]
    public async Task Every_consumer_failing_every_item_still_completes_with_all_items_failed()
    {
        var report = await Create("all-fail")
            .WithSource(ct => TestSources.Range(0, 200, cancellationToken: ct))
            .WithSource(ct => TestSources.Range(1000, 200, cancellationToken: ct))
            .WithHandler(_ => throw new InvalidOperationException("nope"))
            .Start().Completion.WaitAsync(TestSources.Hang);

        Assert.Equal((400L, 0L, 400L), (report.Produced, report.Succeeded, report.Failed));
    }

    [Fact]
    public async Task A_handler_type_that_cannot_be_created_faults_the_pipeline_with_the_cause()
    {
        var pipeline = Create("unbuildable")
            .WithSource(ct => TestSources.Range(0, 10, cancellationToken: ct))
            .WithHandler<UnbuildableHandler>()
            .Start();

        var error = await Assert.ThrowsAsync<PipelineFaultedException>(() => pipeline.Completion.WaitAsync(TestSources.Hang));

        Assert.Contains("could not create its handler", error.Message);
        Assert.IsType<InvalidOperationException>(error.InnerException);
        Assert.Equal(PipelineOutcome.Faulted, error.Report.Outcome);
    }

    [Fact]
    public async Task Drain_stops_the_producers_and_finishes_everything_they_sent()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var external = CreateTestProbe();
        var pipeline = Create("drained")
            .WithSource(ct => TestSources.Range(0, 1_000_000, cancellationToken: ct))
            .WithProducer(external.Ref)
            .WithHandler(async (_, ct) => await release.Task.WaitAsync(ct))
            .Start();
        var gateway = (await external.ExpectMsgAsync<ProducerRegistered>()).Gateway;
        await AwaitAssertAsync(async () => Assert.True((await pipeline.GetStatusAsync()).Produced > 0));

        var draining = pipeline.DrainAsync(TestSources.Hang);
        Assert.Contains("draining", (await external.ExpectMsgAsync<StopProducing>()).Reason);
        gateway.Tell(new Produce<int>(-1), external.Ref);
        Assert.Contains("let this producer go when it began draining", (await external.ExpectMsgAsync<ProduceRefused>()).Reason);
        release.SetResult();
        var report = await draining.WaitAsync(TestSources.Hang);

        Assert.Equal(PipelineOutcome.Drained, report.Outcome);
        Assert.True(report.Produced < 1_000_000);
        Assert.Equal((report.Produced, 0L), (report.Succeeded, report.Failed));
        Assert.Equal(0, report.Abandoned);
    }

    [Fact]
    public async Task Abort_fails_what_no_consumer_has_started_and_accounts_for_every_item()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pipeline = Create("aborted", consumers: 1)
            .WithSettings(s => s.WithBufferSize(64).WithChunkSize(4).WithParallelism(1))
            .WithSource(ct => TestSources.Range(0, 1_000_000, cancellationToken: ct))
            .WithHandler(async (_, ct) => await release.Task.WaitAsync(ct))
            .Start();
        await AwaitAssertAsync(async () => Assert.True((await pipeline.GetStatusAsync()).Produced > 8));

        var aborting = pipeline.AbortAsync(TestSources.Hang);
        await AwaitAssertAsync(async () => Assert.NotEqual(PipelineState.Running, (await pipeline.GetStatusAsync()).State));

        // The handler holds an item until released, so the run cannot have ended yet; if it has, its end says why.
        var state = (await pipeline.GetStatusAsync()).State;
        if (state != PipelineState.Aborting)
        {
            var end = await Record.ExceptionAsync(() => aborting.WaitAsync(TestSources.Hang));
            Assert.Fail($"Expected Aborting, but the pipeline is {state}: {end?.ToString() ?? "its report completed"}");
        }

        release.SetResult();
        var report = await aborting.WaitAsync(TestSources.Hang);

        Assert.Equal(PipelineOutcome.Aborted, report.Outcome);
        Assert.Equal(report.Produced, report.Succeeded + report.Failed);
        Assert.True(report.Failed > 0);
        Assert.All(report.Failures, f => Assert.IsType<OperationCanceledException>(f.Cause));
    }

    [Fact]
    public async Task A_stop_deadline_ends_the_run_and_counts_unfinished_items_as_abandoned()
    {
        var pipeline = Create("deadline", consumers: 1)
            .WithSource(ct => TestSources.Range(0, 100, cancellationToken: ct))
            .WithHandler(async (_, ct) => await Task.Delay(Timeout.Infinite, ct))
            .Start();
        await AwaitAssertAsync(async () => Assert.True((await pipeline.GetStatusAsync()).Produced > 0));

        var report = await pipeline.DrainAsync(TimeSpan.FromMilliseconds(200)).WaitAsync(TestSources.Hang);

        Assert.Equal(PipelineOutcome.Drained, report.Outcome);
        Assert.True(report.Abandoned > 0);
        Assert.Equal(report.Produced, report.Succeeded + report.Failed);
    }

    [Fact]
    public async Task Stopping_the_pipeline_actor_faults_the_report_instead_of_leaving_it_pending()
    {
        var owner = CreateTestProbe();
        var pipeline = Create("stopped").WithHandler(_ => { }).WithProducer(owner.Ref).Start();
        await owner.ExpectMsgAsync<ProducerRegistered>();

        Sys.Stop(pipeline.Actor);

        var error = await Assert.ThrowsAsync<PipelineFaultedException>(() => pipeline.Completion.WaitAsync(TestSources.Hang));
        Assert.Contains("stopped before it completed", error.Message);
    }

    private sealed class HoldingHandler : IItemHandler<int>
    {
        public static TaskCompletionSource<string> Holding { get; set; } = new();

        public static ConcurrentDictionary<int, int> Attempts { get; set; } = new();

        // Handlers are created as their routee starts, while Akka knows which actor is running; the
        // spec needs the name to stop exactly the routee that holds item 7.
        private readonly string _routee = Akka.Actor.Internal.InternalCurrentActorCellKeeper.Current?.Self.Path.Name ?? "";

        public async ValueTask HandleAsync(int item, CancellationToken cancellationToken)
        {
            if (item != 7)
                return;
            if (Attempts.AddOrUpdate(item, 1, (_, a) => a + 1) == 1)
            {
                Holding.TrySetResult(_routee);
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
        }
    }

    private sealed class CrashOnceOnSeven : ReceiveActor
    {
        private static int _crashed;

        public CrashOnceOnSeven()
        {
            Receive<ConsumeChunk<int>>(work =>
            {
                if (work.Items.Contains(7) && Interlocked.Exchange(ref _crashed, 1) == 0)
                    throw new InvalidOperationException("crash while holding 7");
                Sender.Tell(work.Completed(Self));
            });
        }
    }

    private sealed class NeverAnswers : ReceiveActor
    {
        public NeverAnswers() => Receive<ConsumeChunk<int>>(_ => { });
    }

    private sealed class AnswersWithText : ReceiveActor
    {
        public AnswersWithText() => Receive<ConsumeChunk<int>>(_ => Sender.Tell("done"));
    }

    private sealed class UnbuildableHandler : IItemHandler<int>
    {
        public UnbuildableHandler() => throw new InvalidOperationException("no connection string");

        public ValueTask HandleAsync(int item, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
