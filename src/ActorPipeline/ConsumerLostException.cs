namespace ActorPipeline;

/// <summary>The routee that held an item was lost (its node left or died, or the routee stopped) before it answered; the
/// item was sent to another routee, or failed after <c>max-redeliveries</c> such losses.</summary>
public sealed class ConsumerLostException : Exception
{
    /// <summary>Creates the exception with a message that names the lost routee.</summary>
    public ConsumerLostException(string message)
        : base(message)
    {
    }
}
