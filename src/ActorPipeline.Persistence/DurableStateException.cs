namespace ActorPipeline.Persistence;

/// <summary>A durable pipeline's state could not be read or is not its own: the message names the store and what is wrong.</summary>
/// <remarks>Never answered by starting afresh: what earlier runs did would be done again, or lost.</remarks>
public sealed class DurableStateException : Exception
{
    /// <summary>Creates the exception with its message and, if any, what caused it.</summary>
    public DurableStateException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
