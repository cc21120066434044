using Akka.Actor;

namespace ActorPipeline.Internal;

/// <summary>The sender of one chunk's work: the consumer's answer completes <see cref="Answer"/>.</summary>
/// <remarks>
/// It does what <c>Ask</c> does for the stream, without Ask's costs per chunk: no temporary actor registered with the
/// system and no timeout or cancellation registration (the stream's sweeper calls <see cref="Expire"/>). The stream
/// continues on the thread pool, not on the consumer's thread: run inline, the stream's work delayed the consumer's
/// next chunk, and with ~2 µs of work per item and a buffer of 5 the pipeline reached 0.64-0.81× the channel instead of
/// 0.94-1.02× (three alternating runs each). Its path is the stream's temporary path with a uid of its own, so
/// every reply is a distinct actor reference; nothing resolves that path, and a consumer can only answer it, which is all
/// the consumer protocol asks. (A consumer on another node would need a path that resolves, as Ask registers one.)
/// </remarks>
internal sealed class ChunkReply(ActorPath path, IActorRefProvider provider, long deadline) : MinimalActorRef
{
    private readonly TaskCompletionSource<ChunkConsumed> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override ActorPath Path { get; } = path;

    public override IActorRefProvider Provider { get; } = provider;

    /// <summary>The <see cref="System.Diagnostics.Stopwatch"/> timestamp after which the answer is overdue.</summary>
    public long Deadline { get; } = deadline;

    /// <summary>The consumer's answer, or the reason there will be none.</summary>
    public Task<ChunkConsumed> Answer => _answer.Task;

    /// <summary>Gives up waiting: <see cref="Answer"/> is cancelled (nothing else cancels it) unless the answer came first.</summary>
    public void Expire() => _answer.TrySetCanceled();

    protected override void TellInternal(object message, IActorRef sender)
    {
        switch (message)
        {
            case ChunkConsumed consumed:
                _answer.TrySetResult(consumed);
                break;
            case Status.Failure failure:
                _answer.TrySetException(failure.Cause ?? new InvalidOperationException("The consumer answered with a failure that has no cause."));
                break;
            default:
                _answer.TrySetException(new InvalidOperationException(
                    $"The consumer answered {message?.GetType().Name ?? "null"} instead of {nameof(ChunkConsumed)}."));
                break;
        }
    }
}
