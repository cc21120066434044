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
