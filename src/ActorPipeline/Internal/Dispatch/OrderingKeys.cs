namespace ActorPipeline.Internal;

/// <summary>Which ordering keys the dispatch stage has out: items at consumers or waiting for a retry, by key. An item
/// whose key is out waits, and so does every later item of its key, so each key's items are handled one at a time, in
/// the order they wait.</summary>
/// <remarks>Typed by the key, so keys of a value type are neither boxed nor compared through object.</remarks>
internal abstract class OrderingKeys<T>
{
    /// <summary>Takes the key of <paramref name="item"/> for a chunk being filled, unless another chunk or waiting retry
    /// holds it; with <paramref name="onePerChunk"/>, also unless the chunk being filled holds it already.</summary>
    public abstract bool TryClaim(T item, bool onePerChunk);

    /// <summary>The chunk being filled is complete: its keys count as out from now on.</summary>
    public abstract void EndChunk();

    /// <summary>An item that held its key no longer does (decided, or back to wait in front of its key's later items).</summary>
    public abstract void Release(T item);

    /// <summary>An item goes to wait for a retry: its key stays out.</summary>
    public abstract void Hold(T item);
}

/// <summary>The keys of <typeparamref name="T"/> items, by <paramref name="keyOf"/>.</summary>
internal sealed class OrderingKeys<T, TKey>(Func<T, TKey> keyOf) : OrderingKeys<T>
    where TKey : notnull
{
    // Items out per key; and the keys the chunk being filled took, which no other chunk may take meanwhile.
    private readonly Dictionary<TKey, int> _out = new();
    private readonly Dictionary<TKey, int> _filling = new();

    public override bool TryClaim(T item, bool onePerChunk)
    {
        var key = keyOf(item);
        if (_out.ContainsKey(key))
            return false;
        ref var taken = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_filling, key, out var exists);
        if (exists && onePerChunk)
            return false;
        taken++;
        return true;
    }

    public override void EndChunk()
    {
        foreach (var (key, items) in _filling)
            _out[key] = items;
        _filling.Clear();
    }

    public override void Release(T item)
    {
        var key = keyOf(item);
        ref var items = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrNullRef(_out, key);
        if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref items))
            return;
        if (--items == 0)
            _out.Remove(key);
    }

    public override void Hold(T item)
    {
        ref var items = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_out, keyOf(item), out _);
        items++;
    }
}
