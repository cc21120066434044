using System.Collections.Concurrent;

namespace ActorPipeline.Internal;

/// <summary>The types a node expects in messages from other nodes: its pipelines' item, result and handler types, and
/// those of the handlers it hosts for pipelines elsewhere. A wire format resolves a type name only through this list,
/// so a payload naming any other type is refused without the type being loaded, let alone created.</summary>
internal sealed class WireTypes
{
    private readonly ConcurrentDictionary<string, Type> _byName = new(StringComparer.Ordinal);

    public WireTypes()
    {
        Declare(typeof(long), typeof(int), typeof(double), typeof(string));
    }

    /// <summary>Whether only the handlers declared may be created here; otherwise any type that implements a handler
    /// interface may be, when a pipeline on another node deploys it.</summary>
    public bool OnlyDeclaredHandlers { get; private set; }

    /// <summary>The name a type has on the wire: its full name and its assembly's simple name.</summary>
    public static string NameOf(Type type) => $"{type.FullName}, {type.Assembly.GetName().Name}";

    /// <summary>Adds <paramref name="types"/> (nulls are skipped).</summary>
    public void Declare(params Type?[] types)
    {
        foreach (var type in types)
        {
            if (type is not null)
                _byName.TryAdd(NameOf(type), type);
        }
    }

    /// <summary>Adds handler types with the item and result types they take and give; with <paramref name="only"/>, no
    /// other handler may be created here.</summary>
    /// <exception cref="ArgumentException">A type implements no handler interface.</exception>
    public void DeclareHandlers(IEnumerable<Type> handlers, bool only)
    {
        foreach (var handler in handlers)
        {
            var carried = CarriedTypes(handler);
            if (carried.Count == 0)
                throw new ArgumentException($"{handler.FullName} implements none of IItemHandler<T>, IItemHandler<T, TResult> and IBatchHandler<T>.", nameof(handlers));
            Declare([handler, .. carried]);
        }

        OnlyDeclaredHandlers |= only;
    }

    /// <summary>The declared type named <paramref name="name"/>, if any.</summary>
    public bool TryGet(string name, out Type type) => _byName.TryGetValue(name, out type!);

    /// <summary>The item and result types a handler type takes and gives; empty when it is no handler.</summary>
    public static IReadOnlyList<Type> CarriedTypes(Type handler) => handler.GetInterfaces()
        .Where(i => i.IsGenericType && (i.GetGenericTypeDefinition() == typeof(IItemHandler<>)
            || i.GetGenericTypeDefinition() == typeof(IItemHandler<,>) || i.GetGenericTypeDefinition() == typeof(IBatchHandler<>)))
        .SelectMany(i => i.GenericTypeArguments)
        .Distinct()
        .ToArray();
}
