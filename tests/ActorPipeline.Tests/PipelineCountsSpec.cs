using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using Xunit.Abstractions;

namespace ActorPipeline.Tests;

/// <summary>The counts a user sees before and around the end — status, callbacks — agree with what happened.</summary>
public sealed class PipelineCountsSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.loglevel = ERROR"), output: output)
{
    [Fact]
    public async Task Every_producer_summary_given_to_the_callback_equals_that_producers_entry_in_the_report()
    {
        var stopped = new ConcurrentQueue<ProducerSummary>();
        var quitter = Sys.ActorOf(Props.Create(() => new SendsAndQuits(16)), "quitter");
        var pipeline = Pipeline.Create<int>(Sys, "summaries")
            .WithSettings(s => s.WithConsumers(2))
            .WithSource("plain", ct => TestSources.Range(0, 500, cancellationToken: ct))
            .WithSource("throws", _ => TestSources.ThrowAfter(1000, 40, new IOException("disk gone")))
            .WithProducer(quitter)
            .WithHandler(async (_, _) => await Task.Yield())
            .OnProducerStopped(stopped.Enqueue)
            .Start();

        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);

        Assert.Equal(report.Producers.OrderBy(p => p.Name), stopped.OrderBy(p => p.Name));
        Assert.Equal([500L, 40L, 16L], report.Producers.Select(p => p.Produced));
        Assert.Equal("disk gone", report.Producers[1].Failure?.Message);
        Assert.Equal((556L, 556L), (report.Produced, report.Succeeded));
    }

    [Fact]
    public async Task Status_names_every_producer_with_what_it_has_sent_and_prints_them()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var actor = CreateTestProbe("actor");
        var pipeline = Pipeline.Create<int>(Sys, "named")
            .WithSettings(s => s.WithConsumers(1).WithCapacity(64).WithProducerCredit(8))
            .WithSource("ten", ct => TestSources.Range(0, 10, cancellationToken: ct))
            .WithProducer("orders", actor.Ref)
            .WithHandler(async (_, ct) => await release.Task.WaitAsync(ct))
            .Start();
        // Each producer takes at most 8 of the 64 at once. With a share of the whole capacity, the actor could take all
        // 64 before the source started, and the source would wait for credit that only the blocked handler gives back.
        var registered = await actor.ExpectMsgAsync<ProducerRegistered>();
        Assert.Equal(8, registered.Credit);
        registered.Gateway.Tell(new ProduceBatch<int>([1, 2, 3]), actor.Ref);

        var status = await AwaitStatus(pipeline, s => s.Produced == 13);

        Assert.Equal([("ten", 10L), ("orders", 3L)], status.Producers.Select(p => (p.Name, p.Produced)));
        Assert.Contains("Producers = [ten: 10, orders: 3]", status.ToString());
        Assert.DoesNotContain("System.Collections", status.ToString());
        release.SetResult();
        Sys.Stop(actor.Ref);
        await pipeline.Completion.WaitAsync(TestSources.Hang);
    }

    private async Task<PipelineStatus> AwaitStatus(PipelineHandle pipeline, Func<PipelineStatus, bool> condition)
    {
        PipelineStatus? seen = null;
        await AwaitConditionAsync(async () => condition(seen = await pipeline.GetStatusAsync()), TestSources.Hang);
        return seen!;
    }

    [Fact]
    public async Task Status_counts_each_item_as_its_handler_finishes_it_not_each_chunk()
    {
        var gate = new SemaphoreSlim(0, int.MaxValue);
        var handled = 0;
        var pipeline = Pipeline.Create<int>(Sys, "per-item")
            .WithSettings(s => s.WithConsumers(1).WithChunkSize(256).WithParallelism(1))
            .WithSource(ct => TestSources.Range(0, 600, cancellationToken: ct))
            .WithHandler(async (_, ct) =>
            {
                await gate.WaitAsync(ct);
                Interlocked.Increment(ref handled);
            })
            .Start();

        // 300 items are let through, one chunk and part of the next: the status follows the handler item by item.
        gate.Release(300);
        await AwaitConditionAsync(() => Task.FromResult(Volatile.Read(ref handled) == 300), TestSources.Hang, TestSources.Poll);
        await AwaitAssertAsync(async () =>
        {
            var status = await pipeline.GetStatusAsync();
            Assert.Equal((600L, 300L, 300L), (status.Produced, status.Succeeded, status.InFlight));
        });

        gate.Release(300);
        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);
        Assert.Equal(600, report.Succeeded);
    }

    [Fact]
    public async Task Every_status_sample_stays_within_the_capacity_and_its_counts_only_grow_while_the_pipeline_actor_is_busy()
    {
        // Every fiftieth item fails, and the failure callback, which runs on the pipeline's actor, takes 20 ms: the actor
        // is busy most of the time, and outcomes wait for it.
        var pipeline = Pipeline.Create<int>(Sys, "busy")
            .WithSettings(s => s.WithCapacity(7).WithConsumers(1))
            .WithSource(ct => TestSources.Range(0, 1_000, cancellationToken: ct))
            .WithSource(ct => TestSources.Range(10_000, 1_000, cancellationToken: ct))
            .WithHandler(item =>
            {
                if (item % 50 == 0)
                    throw new InvalidOperationException("fiftieth");
            })
            .OnFailedItem(_ =>
            {
                var busy = System.Diagnostics.Stopwatch.StartNew();
                while (busy.ElapsedMilliseconds < 20)
                    Thread.SpinWait(1_000);
            })
            .Start();

        var samples = await StatusSamples.TakeAsync(pipeline).WaitAsync(TestSources.Hang);
        var report = await pipeline.Completion;

        Assert.Equal((2_000L, 40L), (report.Produced, report.Failed));
        Assert.True(samples.Count > 10, $"{samples.Count} samples");
        StatusSamples.AssertEachHolds(samples, 7);
    }

    /// <summary>A producer actor that sends its items in one go as soon as it may, and stops without waiting for anything.</summary>
    private sealed class SendsAndQuits : ReceiveActor
    {
        public SendsAndQuits(int items) =>
            Receive<ProducerRegistered>(r =>
            {
                r.Gateway.Tell(new ProduceBatch<int>(Enumerable.Range(2000, Math.Min(items, r.Credit)).ToArray()));
                Context.Stop(Self);
            });
    }
}
