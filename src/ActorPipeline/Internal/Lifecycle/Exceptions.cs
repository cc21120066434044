namespace ActorPipeline.Internal;

internal static class Exceptions
{
    /// <summary>The single exception inside an <see cref="AggregateException"/> from a faulted task, or the exception itself.</summary>
    public static Exception Unwrap(Exception e) =>
        e is AggregateException { InnerExceptions.Count: 1 } a ? a.InnerExceptions[0] : e;
}
