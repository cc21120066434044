namespace ActorPipeline.Tests.Host;

/// <summary>Host specs that run demos and one that reads every demo span of the process: they run one class at a time.</summary>
[CollectionDefinition(Name)]
public sealed class DemoRuns
{
    public const string Name = "demo runs";
}
