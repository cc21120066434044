using ActorPipeline.TestKit;
using Akka.Configuration;
using Xunit.Abstractions;

namespace ActorPipeline.TestKit.Tests;

/// <summary>The probes themselves: what they do, and that every expectation fails saying what was expected and what arrived.</summary>
public sealed class ProbeSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString(
        "akka.loglevel = ERROR\nakka.coordinated-shutdown.phases.service-requests-done.timeout = 500ms"), output: output)
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(150);

    private (PipelineHandle Pipeline, ConsumerProbe<int> Consumer) Start(string name, int capacity)
    {
        var consumer = new ConsumerProbe<int>(this);
        var pipeline = Pipeline.Create<int>(Sys, name)
            .WithSettings(s => s.WithCapacity(capacity).WithConsumers(1).WithKeepAlive(true))
            .WithConsumerProps(consumer.Props)
            .Start();
        return (pipeline, consumer);
    }

    [Fact]
    public async Task A_producer_probe_registers_sends_and_sees_its_credit_come_back_as_items_finish()
    {
        var (pipeline, consumer) = Start("producer", capacity: 3);
        var producer = await ProducerProbe<int>.RegisterAsync(this, pipeline, "probe");

        Assert.Equal(3, producer.Credit);
        producer.SendBatch(1, 2, 3);
        Assert.Equal(0, producer.Credit);
        var chunks = await consumer.ExpectItemsAsync(3);
        foreach (var chunk in chunks)
            chunk.Complete();

        Assert.Equal(3, await producer.ExpectCreditAsync(3));
        Assert.Equal(3, producer.Credit);
        producer.Stop();
        var report = await pipeline.DrainAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(("probe", 3L), (report.Producers.Single().Name, report.Succeeded));
    }

    [Fact]
    public async Task A_consumer_probe_answers_items_as_succeeded_failed_or_given_back()
    {
        var (pipeline, consumer) = Start("consumer", capacity: 8);
        var producer = await ProducerProbe<int>.RegisterAsync(this, pipeline);
        producer.SendBatch(10, 11, 12, 13);

        var chunk = Assert.Single(await consumer.ExpectItemsAsync(4));
        chunk.Fail(1, new InvalidOperationException("eleven")).Interrupt(answered: 2, new TimeoutException("held too long"), started: false);
        var again = await consumer.ExpectChunkAsync();
        Assert.Equal([12, 13], again.Items);
        again.Complete();
        producer.Stop();

        var report = await pipeline.DrainAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((4L, 3L, 1L), (report.Produced, report.Succeeded, report.Failed));
        Assert.Equal((11, "eleven"), (report.FailuresOf<int>().Single().Item, report.FailuresOf<int>().Single().Cause.Message));
    }

    [Fact]
    public async Task Producer_expectations_fail_saying_what_was_expected_and_what_arrived()
    {
        var (pipeline, _) = Start("producer-failures", capacity: 2);
        var producer = await ProducerProbe<int>.RegisterAsync(this, pipeline, "p");

        var nothing = await Assert.ThrowsAnyAsync<Exception>(() => producer.ExpectAckAsync(Short));
        Assert.Equal("Expected ProduceAck for producer 'p' of pipeline 'producer-failures' (credit now 2), but nothing arrived.", nothing.Message);

        producer.SendBatch(1, 2, 3);
        var wrong = await Assert.ThrowsAnyAsync<Exception>(() => producer.ExpectAckAsync(Short));
        Assert.StartsWith("Expected ProduceAck for producer 'p' of pipeline 'producer-failures' (credit now -1), but received ProduceRefused { Count = 1, Reason = The producer exceeded its credit", wrong.Message);

        producer.Send(4);
        var count = await Assert.ThrowsAnyAsync<Exception>(() => producer.ExpectRefusedAsync(count: 2, Short));
        Assert.StartsWith("Expected ProduceRefused of 2 items for producer 'p' of pipeline 'producer-failures', but received ProduceRefused { Count = 1", count.Message);

        producer.Send(5);
        var quiet = await Assert.ThrowsAnyAsync<Exception>(() => producer.ExpectNoMessageAsync(TimeSpan.FromSeconds(3)));
        Assert.StartsWith("Expected nothing for producer 'p' of pipeline 'producer-failures'", quiet.Message);
        Assert.Contains("but received ProduceRefused", quiet.Message);

        var stop = await Assert.ThrowsAnyAsync<Exception>(() => producer.ExpectStopAsync(Short));
        Assert.Equal("Expected StopProducing for producer 'p' of pipeline 'producer-failures', but nothing arrived.", stop.Message);
    }

    [Fact]
    public async Task Registering_with_a_pipeline_that_has_completed_fails_with_its_answer()
    {
        var pipeline = Pipeline.Create<int>(Sys, "done").WithHandler(_ => { }).Start();
        await pipeline.Completion.WaitAsync(TimeSpan.FromSeconds(30));

        // The refusal of a stopped pipeline comes through dead letters; on a loaded machine that can take longer than the
        // default expectation's three seconds.
        var error = await Assert.ThrowsAnyAsync<Exception>(() => ProducerProbe<int>.RegisterAsync(this, pipeline, within: TimeSpan.FromSeconds(30)));

        Assert.StartsWith("Expected ProducerRegistered from pipeline 'done', but received ProducerRejected", error.Message);
    }

    [Fact]
    public async Task Consumer_expectations_fail_saying_what_was_expected_and_what_arrived()
    {
        var (pipeline, consumer) = Start("consumer-failures", capacity: 8);
        var producer = await ProducerProbe<int>.RegisterAsync(this, pipeline);

        var nothing = await Assert.ThrowsAnyAsync<Exception>(() => consumer.ExpectChunkAsync(Short));
        Assert.Equal("Expected a chunk of Int32 items, but nothing arrived.", nothing.Message);

        producer.SendBatch(1, 2, 3);
        var more = await Assert.ThrowsAnyAsync<Exception>(() => consumer.ExpectItemsAsync(2, Short));
        Assert.Equal("Expected the next 2 items, but the chunks that came hold 3: [1, 2, 3].", more.Message);

        // The one routee holds [1, 2, 3] unanswered, so it asks for nothing more: another pipeline shows a chunk arriving.
        var (other, quietConsumer) = Start("consumer-quiet", capacity: 8);
        var quietProducer = await ProducerProbe<int>.RegisterAsync(this, other);
        quietProducer.Send(4);
        var quiet = await Assert.ThrowsAnyAsync<Exception>(() => quietConsumer.ExpectNoChunkAsync(TimeSpan.FromSeconds(3)));
        Assert.StartsWith("Expected no chunk for 00:00:03, but received a chunk of 1 items [4]", quiet.Message);
    }

    [Fact]
    public async Task A_chunk_is_answered_once()
    {
        var (pipeline, consumer) = Start("once", capacity: 4);
        var producer = await ProducerProbe<int>.RegisterAsync(this, pipeline);
        producer.Send(1);
        var chunk = await consumer.ExpectChunkAsync();
        chunk.Complete();

        var twice = Assert.ThrowsAny<Exception>(chunk.Complete);

        Assert.Equal($"Chunk {chunk.Id} [1] was answered already; a consumer answers a chunk once.", twice.Message);
    }

    [Fact]
    public async Task Waiting_on_a_status_or_a_report_fails_with_the_last_status_seen()
    {
        var (pipeline, consumer) = Start("waits", capacity: 4);
        var producer = await ProducerProbe<int>.RegisterAsync(this, pipeline);
        producer.SendBatch(1, 2);
        await consumer.ExpectItemsAsync(2);

        var held = await pipeline.AwaitStatusAsync(s => s.InFlight == 2, TimeSpan.FromSeconds(10), "two items in flight");
        var status = await Assert.ThrowsAsync<TimeoutException>(() => pipeline.AwaitStatusAsync(s => s.Succeeded == 2, Short, "two items done"));
        var report = await Assert.ThrowsAsync<TimeoutException>(() => pipeline.AwaitReportAsync(Short));

        Assert.Equal(2, held.Produced);
        Assert.StartsWith("Pipeline 'waits' did not reach two items done within 00:00:00.1500000; last status: PipelineStatus { Name = waits, State = Running, Produced = 2, Succeeded = 0", status.Message);
        Assert.StartsWith("Pipeline 'waits' did not complete within 00:00:00.1500000; last status: PipelineStatus { Name = waits, State = Running, Produced = 2", report.Message);
    }
}
