namespace ActorPipeline;

/// <summary>The pipeline broke before it could complete; <see cref="Report"/> holds the counts up to that point.</summary>
public sealed class PipelineFaultedException : Exception
{
    /// <summary>Creates the exception for a pipeline that broke because of <paramref name="cause"/>.</summary>
    public PipelineFaultedException(string message, PipelineReport report, Exception? cause)
        : base(message, cause) => Report = report;

    /// <summary>The counts up to the fault, with <see cref="PipelineOutcome.Faulted"/>.</summary>
    public PipelineReport Report { get; }
}
