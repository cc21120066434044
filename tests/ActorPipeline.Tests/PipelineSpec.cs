using Akka.Actor;
using Akka.Configuration;
using Akka.Routing;
using Xunit.Abstractions;

namespace ActorPipeline.Tests;

public sealed class PipelineSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.actor.deployment {
          "/smallest/consumers" { router = smallest-mailbox-pool, nr-of-instances = 3 }
          "/resized/consumers" {
            router = round-robin-pool
            resizer { enabled = on, lower-bound = 2, upper-bound = 4 }
          }
          "/broadcast/consumers" { router = broadcast-pool, nr-of-instances = 2 }
        }
        """), output: output)
{
    private PipelineBuilder<int> Create(string name, int buffer = 1024, int consumers = 2) =>
        Pipeline.Create<int>(Sys, name).WithSettings(s => s.WithBufferSize(buffer).WithConsumers(consumers));

    [Theory]
    [InlineData(3, 8, 5, 2)]
    [InlineData(2, 5, 4, 2)]
    public async Task The_seed_scenarios_consume_every_item_exactly_once(int producers, int items, int buffer, int consumers)
    {
        var seen = new System.Collections.Concurrent.ConcurrentBag<int>();
        var builder = Create($"seed-{producers}x{items}", buffer, consumers).WithHandler(seen.Add);
        for (var p = 0; p < producers; p++)
        {
            var id = p;
            builder.WithSource(ct => TestSources.Range(id * 100, items, cancellationToken: ct));
        }

        var report = await builder.Start().Completion.WaitAsync(TestSources.Hang);

        var expected = Enumerable.Range(0, producers).SelectMany(p => Enumerable.Range(p * 100, items)).Order();
        Assert.Equal(expected, seen.Order());
        Assert.Equal(PipelineOutcome.Completed, report.Outcome);
        Assert.Equal(producers * items, report.Produced);
        Assert.Equal(producers * items, report.Succeeded);
        Assert.Equal(0, report.Failed);
        Assert.All(report.Producers, p => Assert.Equal(items, p.Produced));
        Assert.Equal(producers * items, report.ProcessedByConsumer.Values.Sum());
    }

    [Fact]
    public async Task Eight_producers_into_a_buffer_of_one_with_a_slow_consumer_lose_nothing()
    {
        var seen = new System.Collections.Concurrent.ConcurrentBag<int>();
        var builder = Create("narrow", buffer: 1, consumers: 2)
            .WithSettings(s => s.WithProducerCredit(1))
            .WithHandler(async (n, ct) =>
            {
                await Task.Yield();
                seen.Add(n);
            });
        for (var p = 0; p < 8; p++)
        {
            var id = p;
            builder.WithSource(ct => TestSources.Range(id * 1000, 200, cancellationToken: ct));
        }

        var report = await builder.Start().Completion.WaitAsync(TestSources.Hang);

        Assert.Equal(1600, report.Succeeded);
        Assert.Equal(1600, report.Produced);
        Assert.Equal(1600, seen.Distinct().Count());
        Assert.Empty(report.Failures);
    }

    [Fact]
    public async Task Items_in_flight_never_exceed_the_documented_bound()
    {
        const int producers = 3;
        long emitted = 0, finished = 0, peak = 0;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        void Emitted(int _)
        {
            var inFlight = Interlocked.Increment(ref emitted) - Interlocked.Read(ref finished);
            long seen;
            while (inFlight > (seen = Interlocked.Read(ref peak)) && Interlocked.CompareExchange(ref peak, inFlight, seen) != seen)
            {
            }
        }

        var builder = Create("bounded", buffer: 32, consumers: 2)
            .WithSettings(s => s.WithProducerCredit(16).WithChunkSize(8))
            .WithHandler(async (_, ct) =>
            {
                await release.Task.WaitAsync(ct);
                Interlocked.Increment(ref finished);
            });
        for (var p = 0; p < producers; p++)
        {
            var id = p;
            builder.WithSource(ct => TestSources.Range(id * 10_000, 2_000, Emitted, ct));
        }

        var pipeline = builder.Start();
        var bound = pipeline.Capacity;

        // With every consumer held, producers can only fill what the pipeline admits; the gate opens once the
        // buffer is certainly full, then the rest of the run flows at full speed.
        await AwaitConditionAsync(() => Task.FromResult(Interlocked.Read(ref emitted) > 32), TestSources.Hang, TestSources.Poll);
        var held = await pipeline.GetStatusAsync();
        Assert.InRange(held.InFlight, 0, bound);
        release.SetResult();

        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.Equal(6_000, report.Succeeded);
        Assert.InRange(Interlocked.Read(ref peak), 33, bound);
    }

    [Fact]
    public async Task The_pipeline_completes_only_after_the_last_producer_stops()
    {
        var producer = CreateTestProbe();
        var pipeline = Create("lingering").WithHandler(_ => { }).WithProducer(producer.Ref).Start();
        var gateway = (await producer.ExpectMsgAsync<ProducerRegistered>()).Gateway;

        gateway.Tell(new ProduceBatch<int>([1, 2, 3]), producer.Ref);
        await AwaitAssertAsync(async () => Assert.Equal(3, (await pipeline.GetStatusAsync()).Succeeded));

        // Idle, every item done, and still running: a live producer may send more.
        var status = await pipeline.GetStatusAsync();
        Assert.Equal(PipelineState.Running, status.State);
        Assert.Equal(1, status.ProducersAlive);
        Assert.Equal(3, status.ProcessedByConsumer.Values.Sum());
        Assert.True(status.Elapsed > TimeSpan.Zero);
        Assert.False(pipeline.Completion.IsCompleted);

        Sys.Stop(producer.Ref);
        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.Equal(3, report.Succeeded);
        Assert.Equal(3, report.Producers.Single().Produced);
    }

    [Fact]
    public async Task A_registered_actor_produces_under_its_credit_and_is_refused_beyond_it()
    {
        var owner = CreateTestProbe();
        var producer = CreateTestProbe();
        var pipeline = Create("external").WithSettings(s => s.WithProducerCredit(4)).WithHandler(_ => { }).WithProducer(owner.Ref).Start();
        await owner.ExpectMsgAsync<ProducerRegistered>();

        pipeline.Actor.Tell(RegisterProducer.Instance, producer.Ref);
        var registered = await producer.ExpectMsgAsync<ProducerRegistered>();
        Assert.Equal(4, registered.Credit);

        registered.Gateway.Tell(new ProduceBatch<int>([1, 2, 3, 4, 5, 6]), producer.Ref);
        var refused = await producer.FishForMessageAsync<ProduceRefused>(_ => true);
        Assert.Equal(2, refused.Count);
        Assert.Contains("exceeded its credit: 6 items sent with 4 left", refused.Reason);

        Sys.Stop(producer.Ref);
        Sys.Stop(owner.Ref);
        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.Equal(4, report.Produced);
        Assert.Equal(4, report.Succeeded);
        Assert.Equal([0L, 4L], report.Producers.Select(p => p.Produced));
    }

    [Fact]
    public async Task Registration_is_refused_once_the_last_producer_has_stopped()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pipeline = Create("late")
            .WithSource(ct => TestSources.Range(0, 1, cancellationToken: ct))
            .WithHandler(async (_, ct) => await release.Task.WaitAsync(ct))
            .Start();
        await AwaitAssertAsync(async () => Assert.Equal(PipelineState.Draining, (await pipeline.GetStatusAsync()).State));
        var latecomer = CreateTestProbe();

        pipeline.Actor.Tell(RegisterProducer.Instance, latecomer.Ref);

        var rejected = await latecomer.ExpectMsgAsync<ProducerRejected>();
        Assert.Contains("draining", rejected.Reason);
        release.SetResult();
        Assert.Equal(1, (await pipeline.Completion.WaitAsync(TestSources.Hang)).Succeeded);
    }

    [Fact]
    public async Task An_unregistered_sender_is_refused_and_nothing_enters_the_pipeline()
    {
        var owner = CreateTestProbe();
        var pipeline = Create("closed-door").WithHandler(_ => { }).WithProducer(owner.Ref).Start();
        var gateway = (await owner.ExpectMsgAsync<ProducerRegistered>()).Gateway;
        var stranger = CreateTestProbe();

        gateway.Tell(new Produce<int>(7), stranger.Ref);

        var refused = await stranger.ExpectMsgAsync<ProduceRefused>();
        Assert.Contains("not a registered producer", refused.Reason);
        Sys.Stop(owner.Ref);
        Assert.Equal(0, (await pipeline.Completion.WaitAsync(TestSources.Hang)).Produced);
    }

    [Fact]
    public async Task A_pipeline_without_producers_completes_at_once_with_an_empty_report()
    {
        var report = await Create("empty").WithHandler(_ => { }).Start().Completion.WaitAsync(TestSources.Hang);

        Assert.Equal(PipelineOutcome.Completed, report.Outcome);
        Assert.Equal(0, report.Produced);
    }

    [Fact]
    public async Task Two_pipelines_run_side_by_side_in_one_system()
    {
        var first = Create("left").WithSource(ct => TestSources.Range(0, 500, cancellationToken: ct)).WithHandler(_ => { }).Start();
        var second = Create("right").WithSource(ct => TestSources.Range(0, 300, cancellationToken: ct))
            .WithSource(ct => TestSources.Range(0, 300, cancellationToken: ct)).WithHandler(_ => { }).Start();

        var reports = await Task.WhenAll(first.Completion, second.Completion).WaitAsync(TestSources.Hang);

        Assert.Equal(500, reports[0].Succeeded);
        Assert.Equal(600, reports[1].Succeeded);
    }

    [Fact]
    public void A_second_pipeline_with_a_taken_name_is_refused()
    {
        var producer = CreateTestProbe();
        Create("unique").WithHandler(_ => { }).WithProducer(producer.Ref).Start();

        Assert.Throws<InvalidActorNameException>(() => Create("unique").WithHandler(_ => { }).Start());
    }

    [Fact]
    public async Task Every_actor_of_the_pipeline_stops_when_it_completes()
    {
        var pipeline = Create("tidy").WithSource(ct => TestSources.Range(0, 100, cancellationToken: ct)).WithHandler(_ => { }).Start();
        Watch(pipeline.Actor);

        await pipeline.Completion.WaitAsync(TestSources.Hang);

        await ExpectTerminatedAsync(pipeline.Actor);
        var left = await Sys.ActorSelection("/user/tidy/*").Ask<ActorIdentity>(new Identify(1), TestSources.Hang);
        Assert.Null(left.Subject);
    }

    [Theory]
    [InlineData("smallest", typeof(SmallestMailboxPool), 3)] // from its akka.actor.deployment entry
    [InlineData("default-pool", typeof(RoundRobinPool), 5)] // no entry: round-robin of `consumers`
    public async Task The_consumer_pool_is_the_deployed_router_or_a_round_robin_of_the_configured_consumers(
        string name, Type router, int routees)
    {
        var producer = CreateTestProbe();
        Create(name, consumers: 5).WithHandler(_ => { }).WithProducer(producer.Ref).Start();
        await producer.ExpectMsgAsync<ProducerRegistered>();

        var pool = await Sys.ActorSelection($"/user/{name}/consumers").ResolveOne(TestSources.Hang);
        var members = await pool.Ask<Routees>(GetRoutees.Instance, TestSources.Hang);

        Assert.IsType(router, RouterOf(pool));
        Assert.Equal(routees, members.Members.Count());
        Sys.Stop(producer.Ref);
    }

    [Fact]
    public async Task With_blocking_handlers_every_routee_blocks_on_a_thread_of_its_own_all_at_once()
    {
        // Each handler blocks its thread until all four run at once: on threads of their own, none from the thread pool.
        const int consumers = 4;
        using var together = new Barrier(consumers);
        var threads = new System.Collections.Concurrent.ConcurrentDictionary<int, bool>();
        var met = 0;
        var report = await Create("blocking", consumers: consumers)
            .WithSettings(s => s.WithCapacity(consumers).WithBlockingHandlers(true))
            .WithSource(ct => TestSources.Range(0, consumers, cancellationToken: ct))
            .WithHandler(_ =>
            {
                threads[Environment.CurrentManagedThreadId] = Thread.CurrentThread.IsThreadPoolThread;
                if (together.SignalAndWait(TestSources.Hang))
                    Interlocked.Increment(ref met);
            })
            .Start().Completion.WaitAsync(TestSources.Hang);

        Assert.Equal((4L, 0L, consumers), (report.Succeeded, report.Failed, met));
        Assert.Equal(consumers, threads.Count);
        Assert.DoesNotContain(true, threads.Values);
    }

    [Fact]
    public async Task A_resizer_from_configuration_sizes_the_pool_and_processes_everything()
    {
        var owner = CreateTestProbe();
        var builder = Create("resized").WithSettings(s => s.WithParallelism(4)).WithHandler(async (_, _) => await Task.Yield())
            .WithProducer(owner.Ref);
        for (var p = 0; p < 3; p++)
        {
            var id = p;
            builder.WithSource(ct => TestSources.Range(id * 1000, 400, cancellationToken: ct));
        }

        var pipeline = builder.Start();
        await owner.ExpectMsgAsync<ProducerRegistered>();
        var pool = await Sys.ActorSelection("/user/resized/consumers").ResolveOne(TestSources.Hang);
        Assert.IsType<DefaultResizer>((RouterOf(pool) as Pool)?.Resizer);
        Sys.Stop(owner.Ref);
        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.Equal(1200, report.Succeeded);
        Assert.InRange(report.ProcessedByConsumer.Count, 1, 4);
    }

    [Fact]
    public void A_router_that_would_repeat_or_split_work_is_rejected_at_start()
    {
        var error = Assert.Throws<ConfigurationException>(() => Create("broadcast").WithHandler(_ => { }).Start());

        Assert.Contains("\"/broadcast/consumers\".router = broadcast-pool", error.Message);
        Assert.Contains("round-robin-pool", error.Message);
    }

    [Fact]
    public void A_pipeline_without_a_consumer_cannot_start()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Create("headless").Start());

        Assert.Contains("WithHandler", error.Message);
    }

    [Fact]
    public async Task A_handler_type_is_created_per_routee_and_handles_every_item()
    {
        CountingHandler.Reset();
        var report = await Create("typed", consumers: 3)
            .WithSource(ct => TestSources.Range(0, 300, cancellationToken: ct))
            .WithHandler<CountingHandler>()
            .Start().Completion.WaitAsync(TestSources.Hang);

        Assert.Equal(300, report.Succeeded);
        Assert.Equal(300, CountingHandler.Handled);
        // One instance per routee: every routee that handled items made one, and none made more. A routee that got no
        // item may not have started yet when the report completes, so the count is not required to be 3.
        Assert.InRange(CountingHandler.Instances, report.ProcessedByConsumer.Count, 3);
    }

    [Fact]
    public async Task Status_reports_counts_while_running_and_after_completion()
    {
        var producer = CreateTestProbe();
        var pipeline = Create("status").WithHandler(_ => { }).WithProducer(producer.Ref).Start();
        var gateway = (await producer.ExpectMsgAsync<ProducerRegistered>()).Gateway;
        gateway.Tell(new Produce<int>(1), producer.Ref);

        await AwaitAssertAsync(async () =>
        {
            var running = await pipeline.GetStatusAsync();
            Assert.Equal((PipelineState.Running, 1L, 1L, 0L), (running.State, running.Produced, running.Succeeded, running.InFlight));
        });
        Sys.Stop(producer.Ref);
        await pipeline.Completion.WaitAsync(TestSources.Hang);

        var after = await pipeline.GetStatusAsync();
        Assert.Equal((PipelineState.Completed, 1L), (after.State, after.Succeeded));
    }

    private static RouterConfig RouterOf(IActorRef pool) => ((ActorRefWithCell)pool).Underlying.Props.RouterConfig;

    private sealed class CountingHandler : IItemHandler<int>
    {
        private static int _handled;
        private static int _instances;

        public CountingHandler() => Interlocked.Increment(ref _instances);

        public static int Handled => Volatile.Read(ref _handled);

        public static int Instances => Volatile.Read(ref _instances);

        public static void Reset() => (_handled, _instances) = (0, 0);

        public ValueTask HandleAsync(int item, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _handled);
            return ValueTask.CompletedTask;
        }
    }
}
