using Akka.Actor;
using Akka.TestKit;

namespace ActorPipeline.TestKit;

/// <summary>A producer a test drives step by step: it registers with a pipeline as a producer actor of the
/// application would, sends what the test says, and expects the pipeline's answers one at a time.</summary>
/// <remarks>
/// <see cref="Credit"/> is the credit as the probe has seen it: what it was granted less what it sent, plus what was
/// refused. Every expectation fails through the test kit's assertions with what was expected and what arrived.
/// </remarks>
public sealed class ProducerProbe<T>
{
    private readonly TestKitBase _testKit;

    private ProducerProbe(TestKitBase testKit, TestProbe probe, string pipeline, string name, ProducerRegistered registered)
    {
        _testKit = testKit;
        Probe = probe;
        Pipeline = pipeline;
        Name = name;
        Gateway = registered.Gateway;
        Credit = registered.Credit;
    }

    /// <summary>The test probe that stands for the producer actor.</summary>
    public TestProbe Probe { get; }

    /// <summary>The producer actor, as the pipeline knows it.</summary>
    public IActorRef Ref => Probe.Ref;

    /// <summary>The name the producer registered under.</summary>
    public string Name { get; }

    /// <summary>The pipeline's name.</summary>
    public string Pipeline { get; }

    /// <summary>The gateway the producer sends its items to.</summary>
    public IActorRef Gateway { get; }

    /// <summary>Items the producer may still send: granted, less sent, plus refused.</summary>
    public int Credit { get; private set; }

    /// <summary>Registers a new producer probe with <paramref name="pipeline"/>, under <paramref name="name"/> (the probe's own name when not given).</summary>
    /// <exception cref="Exception">The pipeline rejected it, or did not answer within <paramref name="within"/>: the test kit's failure.</exception>
    public static async Task<ProducerProbe<T>> RegisterAsync(TestKitBase testKit, PipelineHandle pipeline, string? name = null, TimeSpan? within = null)
    {
        ArgumentNullException.ThrowIfNull(testKit);
        ArgumentNullException.ThrowIfNull(pipeline);
        var probe = testKit.CreateTestProbe();
        pipeline.Actor.Tell(new RegisterProducer(name), probe.Ref);
        var what = $"ProducerRegistered from pipeline '{pipeline.Name}'";
        var answer = await Expectations.NextAsync(testKit, probe, within);
        if (answer is not ProducerRegistered registered)
            throw Expectations.Fail(testKit, what, answer);
        return new ProducerProbe<T>(testKit, probe, pipeline.Name, name ?? probe.Ref.Path.Name, registered);
    }

    /// <summary>Sends one item, whatever the credit (send beyond it to see the refusal).</summary>
    public void Send(T item)
    {
        Credit--;
        Gateway.Tell(new Produce<T>(item), Probe.Ref);
    }

    /// <summary>Sends <paramref name="items"/> in one batch, whatever the credit.</summary>
    public void SendBatch(params T[] items)
    {
        Credit -= items.Length;
        Gateway.Tell(new ProduceBatch<T>(items), Probe.Ref);
    }

    /// <summary>Expects the next message to be a grant of credit; returns how much it grants.</summary>
    public async Task<int> ExpectAckAsync(TimeSpan? within = null)
    {
        var what = $"ProduceAck for producer '{Name}' of pipeline '{Pipeline}' (credit now {Credit})";
        var answer = await Expectations.NextAsync(_testKit, Probe, within);
        if (answer is not ProduceAck ack)
            throw Expectations.Fail(_testKit, what, answer);
        Credit += ack.Count;
        return ack.Count;
    }

    /// <summary>Expects grants until they add up to at least <paramref name="credit"/>; returns what they granted.</summary>
    public async Task<int> ExpectCreditAsync(int credit, TimeSpan? within = null)
    {
        var granted = 0;
        while (granted < credit)
            granted += await ExpectAckAsync(within);
        return granted;
    }

    /// <summary>Expects the next message to be a refusal (of <paramref name="count"/> items, when given); the refused items count as credit again.</summary>
    public async Task<ProduceRefused> ExpectRefusedAsync(int? count = null, TimeSpan? within = null)
    {
        var what = count is { } n
            ? $"ProduceRefused of {n} items for producer '{Name}' of pipeline '{Pipeline}'"
            : $"ProduceRefused for producer '{Name}' of pipeline '{Pipeline}'";
        var answer = await Expectations.NextAsync(_testKit, Probe, within);
        if (answer is not ProduceRefused refused || (count is { } expected && refused.Count != expected))
            throw Expectations.Fail(_testKit, what, answer);
        Credit += refused.Count;
        return refused;
    }

    /// <summary>Expects the pipeline to ask the producer to stop (a drain or an abort).</summary>
    public async Task<StopProducing> ExpectStopAsync(TimeSpan? within = null)
    {
        var what = $"StopProducing for producer '{Name}' of pipeline '{Pipeline}'";
        var answer = await Expectations.NextAsync(_testKit, Probe, within);
        return answer as StopProducing ?? throw Expectations.Fail(_testKit, what, answer);
    }

    /// <summary>Expects nothing to arrive for <paramref name="duration"/>: no credit granted, nothing refused.</summary>
    public async Task ExpectNoMessageAsync(TimeSpan duration)
    {
        var (received, envelope) = await Probe.TryReceiveOneAsync(duration);
        if (received)
            throw Expectations.Fail(_testKit, $"Expected nothing for producer '{Name}' of pipeline '{Pipeline}' (credit {Credit}) for {duration}, but received {envelope.Message}.");
    }

    /// <summary>Stops the producer: its end of stream, as for any producer actor.</summary>
    public void Stop() => _testKit.Sys.Stop(Probe.Ref);
}
