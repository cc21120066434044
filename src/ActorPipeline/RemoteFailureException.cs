namespace ActorPipeline;

/// <summary>An exception raised on another node, as it arrived here: its type's name, message and stack trace.</summary>
/// <remarks>An item failure or interruption that crossed nodes is reported as this exception, because an arbitrary
/// exception type cannot be rebuilt safely from the network.</remarks>
public sealed class RemoteFailureException : Exception
{
    /// <summary>Creates the exception from what the other node sent.</summary>
    public RemoteFailureException(string exceptionType, string message, string? remoteStackTrace)
        : base(message)
    {
        ExceptionType = exceptionType;
        RemoteStackTrace = remoteStackTrace;
    }

    /// <summary>The full name of the exception's type on the node that raised it.</summary>
    public string ExceptionType { get; }

    /// <summary>The stack trace on the node that raised it, if it had one.</summary>
    public string? RemoteStackTrace { get; }

    /// <inheritdoc />
    public override string ToString() => $"{ExceptionType} (on another node): {Message}{Environment.NewLine}{RemoteStackTrace}";
}
