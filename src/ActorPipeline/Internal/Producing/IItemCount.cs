namespace ActorPipeline.Internal;

/// <summary>How many items a produce message carries, whatever its item type.</summary>
internal interface IItemCount
{
    int Count { get; }
}
