namespace ActorPipeline.Cluster.Wire;

/// <summary>The names and markers of the library's wire format, used by the writer and the reader alike.</summary>
internal static class WireFormat
{
    /// <summary>The first byte of every payload. A node that reads another version rejects the message and logs it,
    /// so nodes of incompatible releases fail loudly instead of misreading each other's items.</summary>
    public const byte Version = 4;

    /// <summary>Manifests: one letter per message, followed for generic messages by the item or result type's name.</summary>
    public const char Chunk = 'C';
    public const char Consumed = 'R';
    public const char Taken = 'T';
    public const char StartFailed = 'F';
    public const char Settings = 'S';
    public const char CheckHandler = 'H';
    public const char Abandoned = 'A';

    /// <summary>Before each value of a type other than long, int, double or string.</summary>
    public const byte NullValue = 0;
    public const byte NewType = 1;
    public const byte SameType = 2;
}
