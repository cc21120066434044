using Akka.Actor;
using Akka.Event;
using Akka.Routing;

namespace ActorPipeline.Internal;

// Which routees the stage hands work to: those the pool lists, watched; one it loses gives back what it held.
internal sealed partial class DispatchLogic<T>
{
    // The pool's routees now: new ones ask for work, and one the pool no longer lists (its node is unreachable, left or
    // down; or it stopped) is lost, with the chunk it held.
    private void OnRoutees(Routees listed)
    {
        var actors = listed.Members.OfType<ActorRefRoutee>().Select(r => r.Actor).ToHashSet();
        foreach (var actor in actors)
        {
            if (_routees.ContainsKey(actor) || _retired.Contains(actor))
                continue;
            // With ordering keys a routee holds one chunk: a chunk queued behind a slow item would hold its keys, and so
            // every later item of them, for as long as that item takes.
            var routee = new RouteeState<T>(actor, _context.OwnRoutees && _keys is null, _context.OwnRoutees && actor is IInternalActorRef { IsLocal: true });
            _routees.Add(actor, routee);
            _self.Watch(actor);
            _idle.Enqueue(routee);
        }

        foreach (var known in _routees.Keys.Where(r => !actors.Contains(r)).ToArray())
            RouteeLost(known, "the pool no longer lists it");
        Pump();
    }

    private void RouteeLost(IActorRef actor, string why)
    {
        if (!_routees.Remove(actor, out var routee))
            return;
        routee.Gone = true;
        _self.Unwatch(actor);
        Log.Warning("Pipeline {0}: consumer {1} is gone: {2}; the chunks it held are sent again.", _context.Counters.Pipeline, actor.Path, why);

        // A routee of this process said, item by item, how far it got; of one elsewhere, only that it began.
        var cause = new ConsumerLostException($"Consumer {actor.Path} was lost ({why}) before it answered.");
        foreach (var held in routee.Held.ToArray())
        {
            held.Progress?.GiveUp();
            if (held.Progress is { } progress)
                Settle(held, progress.Partial(held.Id, actor.Path.ToString(), cause), known: true, Loss.Lost);
            else
                Settle(held, new ChunkConsumed(held.Id, actor.Path.ToString(), 0, [], 0, cause, InterruptedItemStarted: false), known: _context.OwnRoutees && held.BegunAt == 0, Loss.Lost);
        }

        Pump();
    }
}
