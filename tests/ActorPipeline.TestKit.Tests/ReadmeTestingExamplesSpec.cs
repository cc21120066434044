using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using ActorPipeline.TestKit;
using Akka.Actor;
using Akka.Configuration;
using Xunit.Abstractions;

namespace ActorPipeline.TestKit.Tests;

/// <summary>The three examples of the README's "Testing code that uses a pipeline", run as they are shown there.</summary>
public sealed partial class ReadmeTestingExamplesSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString(
        "akka.loglevel = ERROR\nakka.coordinated-shutdown.phases.service-requests-done.timeout = 500ms"), output: output)
{
    #region readme-testing-producer
    [Fact]
    public async Task My_producer_never_has_more_items_in_the_pipeline_than_it_may()
    {
        var consumer = new ConsumerProbe<int>(this);
        var producer = Sys.ActorOf(Props.Create(() => new NumberProducer(10)), "number-producer");
        var pipeline = Pipeline.Create<int>(Sys, "numbers")
            .WithSettings(s => s.WithCapacity(4))
            .WithProducer(producer)
            .WithConsumerProps(consumer.Props)
            .Start();

        // Nothing is answered yet: four items fill the capacity, and a fifth would be refused (and fail the producer).
        var held = await consumer.ExpectItemsAsync(4);
        await consumer.ExpectNoChunkAsync(TimeSpan.FromMilliseconds(200));
        Assert.Equal(4, (await pipeline.GetStatusAsync()).InFlight);

        // Each answer returns credit, and the producer goes on until its ten items are through.
        foreach (var chunk in held)
            chunk.Complete();
        for (var answered = 4; answered < 10;)
        {
            var chunk = await consumer.ExpectChunkAsync();
            chunk.Complete();
            answered += chunk.Items.Count;
        }

        var report = await pipeline.AwaitReportAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((10L, 10L), (report.Produced, report.Succeeded));
    }
    #endregion

    #region readme-testing-retries
    [Fact]
    public async Task A_failing_item_is_tried_again_then_reported()
    {
        var pipeline = Pipeline.Create<int>(Sys, "retries")
            .WithSettings(s => s.WithMaxRetries(2))
            .WithSource(ct => Numbers(5, ct))
            .WithHandler(n =>
            {
                if (n == 3)
                    throw new InvalidOperationException("three is bad");
            })
            .Start();

        var report = await pipeline.AwaitReportAsync(TimeSpan.FromSeconds(10));

        Assert.Equal((5L, 4L, 1L, 2L), (report.Produced, report.Succeeded, report.Failed, report.Retried));
        var failure = Assert.Single(report.FailuresOf<int>());
        Assert.Equal((3, 3, "three is bad"), (failure.Item, failure.Attempts, failure.Cause.Message));
    }
    #endregion

    #region readme-testing-backpressure
    [Fact]
    public async Task With_a_capacity_of_two_the_third_item_waits_for_the_consumer()
    {
        var consumer = new ConsumerProbe<string>(this);
        var pipeline = Pipeline.Create<string>(Sys, "two")
            .WithSettings(s => s.WithCapacity(2).WithKeepAlive(true))
            .WithConsumerProps(consumer.Props)
            .Start();
        var producer = await ProducerProbe<string>.RegisterAsync(this, pipeline);

        Assert.Equal(2, producer.Credit);
        producer.SendBatch("a", "b");
        var first = await consumer.ExpectItemsAsync(2);
        await producer.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(200)); // no credit for "c" yet

        first[0].Complete();
        await producer.ExpectCreditAsync(1);
        producer.Send("c");
        Assert.Equal("c", Assert.Single((await consumer.ExpectChunkAsync()).Items));
    }
    #endregion

    [Theory]
    [InlineData("readme-testing-producer")]
    [InlineData("readme-testing-retries")]
    [InlineData("readme-testing-backpressure")]
    [InlineData("readme-testing-helpers")]
    public void The_readme_shows_the_example_as_it_is_compiled(string region)
    {
        var here = File.ReadAllText(SourcePath()).ReplaceLineEndings("\n");
        var example = Regex.Match(here, $@"#region {region}\n(?<code>.*?)\n\s*#endregion", RegexOptions.Singleline).Groups["code"].Value;
        var dedented = string.Join('\n', example.Split('\n').Select(l => l.Length >= 4 ? l[4..] : l.TrimStart())).Trim();

        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md")).ReplaceLineEndings("\n");

        Assert.False(string.IsNullOrWhiteSpace(dedented));
        Assert.Contains(dedented, readme);
    }

    #region readme-testing-helpers
    private static async IAsyncEnumerable<int> Numbers(int count, [EnumeratorCancellation] CancellationToken ct)
    {
        for (var i = 0; i < count; i++)
        {
            ct.ThrowIfCancellationRequested();
            yield return i;
        }

        await Task.CompletedTask;
    }

    /// <summary>The application's own producer actor: it sends its numbers as its credit allows, and stops when done.</summary>
    private sealed class NumberProducer : ReceiveActor
    {
        private int _next;
        private int _credit;
        private IActorRef _gateway = ActorRefs.Nobody;

        public NumberProducer(int count)
        {
            Receive<ProducerRegistered>(r =>
            {
                (_gateway, _credit) = (r.Gateway, r.Credit);
                SendWhatCreditAllows(count);
            });
            Receive<ProduceAck>(ack =>
            {
                _credit += ack.Count;
                SendWhatCreditAllows(count);
            });
            Receive<ProduceRefused>(refused => throw new InvalidOperationException($"Refused: {refused.Reason}"));
        }

        private void SendWhatCreditAllows(int count)
        {
            while (_credit > 0 && _next < count)
            {
                _gateway.Tell(new Produce<int>(_next++));
                _credit--;
            }

            if (_next == count)
                Context.Stop(Self);
        }
    }
    #endregion

    private static string SourcePath([CallerFilePath] string path = "") => path;

    private static string RepositoryRoot() =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(SourcePath())!, "..", ".."));
}
