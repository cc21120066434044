namespace ActorPipeline;

/// <summary>The item was still unfinished when the pipeline's stop deadline passed, so it was given up and counts as failed.</summary>
/// <remarks>Such items are counted in <see cref="PipelineReport.Abandoned"/>; a handler that was running one may still finish it.</remarks>
public sealed class ItemAbandonedException : Exception
{
    /// <summary>Creates the exception with a message that says why the item was given up.</summary>
    public ItemAbandonedException(string message)
        : base(message)
    {
    }
}
