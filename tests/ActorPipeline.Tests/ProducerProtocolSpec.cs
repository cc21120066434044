using Akka.Actor;
using Akka.Configuration;
using Xunit.Abstractions;

namespace ActorPipeline.Tests;

/// <summary>The conversation between a producer actor of the application and a pipeline, from registration to the end.</summary>
public sealed class ProducerProtocolSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.loglevel = ERROR"), output: output)
{
    [Fact]
    public async Task What_reaches_a_completed_pipeline_is_refused_saying_it_has_completed()
    {
        var producer = CreateTestProbe();
        var pipeline = Pipeline.Create<int>(Sys, "over").WithHandler(_ => { }).WithProducer(producer.Ref).Start();
        var gateway = (await producer.ExpectMsgAsync<ProducerRegistered>()).Gateway;
        gateway.Tell(new ProduceBatch<int>([1, 2]), producer.Ref);
        Sys.Stop(producer.Ref);
        await pipeline.Completion.WaitAsync(TestSources.Hang);
        var late = CreateTestProbe();

        gateway.Tell(new ProduceBatch<int>([3, 4, 5]), late.Ref);
        pipeline.Actor.Tell(RegisterProducer.Instance, late.Ref);

        // Refusals of a stopped pipeline come through dead letters; on a loaded machine that can take longer than the
        // default expectation's three seconds.
        var refused = await late.ExpectMsgAsync<ProduceRefused>(TestSources.Hang);
        Assert.Equal((3, "Pipeline 'over' has completed (or was stopped); it takes nothing more."), (refused.Count, refused.Reason));
        Assert.Equal("Pipeline 'over' has completed (or was stopped); it takes nothing more.", (await late.ExpectMsgAsync<ProducerRejected>(TestSources.Hang)).Reason);
    }

    [Fact]
    public async Task A_registration_with_the_first_pipeline_of_a_system_after_it_completed_is_always_refused()
    {
        // The first pipeline of a system with no producer completes at once: the refusal must not depend on how soon
        // the system's refusing actor started. Twenty fresh systems, each asked once.
        for (var i = 0; i < 20; i++)
        {
            using var system = ActorSystem.Create($"first-{i}", ConfigurationFactory.ParseString("akka.loglevel = ERROR"));
            var pipeline = Pipeline.Create<int>(system, "first").WithHandler(_ => { }).Start();
            await pipeline.Completion.WaitAsync(TestSources.Hang);
            var late = CreateTestProbe(system);

            pipeline.Actor.Tell(RegisterProducer.Instance, late.Ref);

            Assert.Equal("Pipeline 'first' has completed (or was stopped); it takes nothing more.",
                (await late.ExpectMsgAsync<ProducerRejected>(TestSources.Hang)).Reason);
            await system.Terminate();
        }
    }

    [Fact]
    public async Task A_kept_alive_pipeline_waits_for_producers_that_register_later_and_ends_when_drained()
    {
        var pipeline = Pipeline.Create<int>(Sys, "kept")
            .WithSettings(s => s.WithKeepAlive(true))
            .WithHandler(_ => { })
            .Start();
        var first = CreateTestProbe();

        pipeline.Actor.Tell(new RegisterProducer("first"), first.Ref);
        var gateway = (await first.ExpectMsgAsync<ProducerRegistered>()).Gateway;
        gateway.Tell(new ProduceBatch<int>([1, 2, 3]), first.Ref);
        Watch(first.Ref);
        Sys.Stop(first.Ref);
        await ExpectTerminatedAsync(first.Ref);
        await AwaitAssertAsync(async () => Assert.Equal((PipelineState.Running, 3L, 0), ((await pipeline.GetStatusAsync()).State, (await pipeline.GetStatusAsync()).Succeeded, (await pipeline.GetStatusAsync()).ProducersAlive)));

        var report = await pipeline.DrainAsync().WaitAsync(TestSources.Hang);

        Assert.Equal((PipelineOutcome.Drained, 3L), (report.Outcome, report.Succeeded));
        Assert.Equal("first", Assert.Single(report.Producers).Name);
    }

    [Fact]
    public async Task Producer_actors_are_named_as_the_application_says_and_a_name_is_taken_once()
    {
        var given = CreateTestProbe();
        var registered = CreateTestProbe();
        var twin = CreateTestProbe();
        var pipeline = Pipeline.Create<int>(Sys, "named").WithHandler(_ => { }).WithProducer("orders", given.Ref).Start();
        await given.ExpectMsgAsync<ProducerRegistered>();

        pipeline.Actor.Tell(new RegisterProducer("returns"), registered.Ref);
        await registered.ExpectMsgAsync<ProducerRegistered>();
        pipeline.Actor.Tell(new RegisterProducer("orders"), twin.Ref);
        Assert.Contains("has a producer named 'orders' already", (await twin.ExpectMsgAsync<ProducerRejected>()).Reason);
        Sys.Stop(given.Ref);
        Sys.Stop(registered.Ref);

        var report = await pipeline.Completion.WaitAsync(TestSources.Hang);
        Assert.Equal(["orders", "returns"], report.Producers.Select(p => p.Name));
        Assert.Throws<ArgumentException>(() => Pipeline.Create<int>(Sys, "twice").WithSource("a", _ => TestSources.Range(0, 1)).WithProducer("a", given.Ref));
    }

    [Fact]
    public async Task Failures_carry_the_item_with_its_type()
    {
        var seen = new List<int>();
        var report = await Pipeline.Create<int>(Sys, "typed")
            .WithSource(ct => TestSources.Range(0, 10, cancellationToken: ct))
            .WithHandler(n =>
            {
                if (n % 5 == 0)
                    throw new InvalidOperationException("fifth");
            })
            .OnFailedItem(f =>
            {
                lock (seen)
                    seen.Add(f.Item + 100);
            })
            .Start().Completion.WaitAsync(TestSources.Hang);

        Assert.Equal([100, 105], seen.Order());
        Assert.Equal([0, 5], report.FailuresOf<int>().Select(f => f.Item).Order());
    }
}
