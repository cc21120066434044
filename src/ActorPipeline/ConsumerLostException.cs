namespace ActorPipeline;

/// <summary>The routee that held an item was lost with its node before it answered; the item was sent to another routee,
/// or failed when it had no tries left.</summary>
public sealed class ConsumerLostException : Exception
{
    /// <summary>Creates the exception with a message that names the lost routee.</summary>
    public ConsumerLostException(string message)
        : base(message)
    {
    }
}
