using Akka.Actor;

namespace ActorPipeline.Internal;

// Who takes part in a run: producers that register and stop, and the children whose end ends the run.
internal sealed partial class PipelineSupervisor<T>
{
    private void OnRegister(RegisterProducer register)
    {
        if (State == PipelineState.Completed)
        {
            Sender.Tell(new ProducerRejected(LateMessageRefusals.Reason(_spec.Name)));
            return;
        }

        if (State != PipelineState.Running)
        {
            Sender.Tell(new ProducerRejected($"Pipeline '{_spec.Name}' is {State.ToString().ToLowerInvariant()}; it accepts no new producers."));
            return;
        }

        if (_durable is not null)
        {
            // Its items would live in memory only, in a pipeline that promises they survive a crash.
            Sender.Tell(new ProducerRejected($"Pipeline '{_spec.Name}' is durable; it takes items from resumable sources only, and an actor producer's items are not journaled."));
            return;
        }

        if (_producers.TryGetValue(Sender, out var known))
        {
            _gateway.Tell(new Attach(Sender, known.Name)); // the gateway tells it the credit it holds
        }
        else if (register.Name is { } name && _producerOrder.Any(p => p.Name == name))
        {
            Sender.Tell(new ProducerRejected($"Pipeline '{_spec.Name}' has a producer named '{name}' already; register under another name."));
        }
        else
        {
            Register(Sender, register.Name ?? Sender.Path.Name, tally: null);
        }
    }

    private void Register(IActorRef producer, string name, ProducerTally? tally)
    {
        var entry = new ProducerEntry(name, tally);
        _producers.Add(producer, entry);
        _producerOrder.Add(entry);
        ProducersAlive++;
        Context.Watch(producer);

        // The gateway grants a producer actor its credit, in ProducerRegistered: it can send nothing before that. Its
        // count is kept by the gateway, in a tally the status reads as well.
        if (tally is null)
        {
            var counted = new ProducerTally();
            _counters.AddProducer(name, counted);
            _gateway.Tell(new Attach(producer, name, counted));
        }
        else
        {
            _counters.AddProducer(name, tally);
        }
    }

    private void OnTerminated(Terminated terminated)
    {
        var actor = terminated.ActorRef;
        if (_producers.ContainsKey(actor))
        {
            ProducerGone(actor, $"The producer {actor.Path.Name} has stopped; a stopped producer's items are not accepted.");
        }
        else if (actor.Equals(_pool))
        {
            Fault("The consumer pool stopped: no routee is left to process items.", null);
        }
        else if (actor.Equals(_gateway))
        {
            _gatewayStopped = true;
            if (State == PipelineState.Completed)
                TellCompletion();
            else if (!_gatewayDone)
                Fault("The queue gateway stopped unexpectedly.", null);
        }
    }

    // A producer is gone when it stops, or when a drain or abort lets it go: what it sends after that is refused.
    private void ProducerGone(IActorRef producer, string reason)
    {
        var entry = _producers[producer];
        if (!entry.Alive)
            return;
        entry.Alive = false;
        ProducersAlive--;
        if (entry.Tally is { } tally)
        {
            // A source producer handed every item it sent to the feed before it stopped: its count is final.
            entry.Produced = tally.Produced;
            entry.Failure = tally.Failure;
            Notify(_spec.OnProducerStopped, Summary(entry));
        }
        else
        {
            _gateway.Tell(new Detach(producer, reason));
        }

        DrainWhenNoProducerIsLeft();
    }

    private void OnProducerDetached(ProducerDetached detached)
    {
        if (!_producers.TryGetValue(detached.Producer, out var entry))
            return;
        entry.Produced = detached.Produced;
        Notify(_spec.OnProducerStopped, Summary(entry));
    }
}
