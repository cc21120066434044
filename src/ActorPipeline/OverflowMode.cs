using System.ComponentModel;
using System.Globalization;

namespace ActorPipeline;

/// <summary>What a pipeline does with an item that comes while its capacity is used up: the <c>overflow</c> setting.</summary>
/// <remarks>The modes mean what <c>BoundedChannelFullMode</c> and Akka.Streams' <c>OverflowStrategy</c> mean; in every mode
/// but <see cref="Backpressure"/> a producer never waits, and each item dropped is handed to
/// <c>PipelineBuilder.OnDroppedItem</c> and counted as dropped. Configuration binding (appsettings, environment) reads
/// the HOCON names too (<c>drop-oldest</c>).</remarks>
[TypeConverter(typeof(OverflowModeConverter))]
public enum OverflowMode
{
    /// <summary>The producer waits until an item finishes and its place is free (<c>backpressure</c>, the default).</summary>
    Backpressure,

    /// <summary>The newest item waiting for a consumer is dropped to make room for the one that comes (<c>drop-newest</c>).</summary>
    DropNewest,

    /// <summary>The oldest item waiting for a consumer is dropped to make room for the one that comes (<c>drop-oldest</c>).</summary>
    DropOldest,

    /// <summary>The item that comes is dropped (<c>drop-incoming</c>).</summary>
    DropIncoming,

    /// <summary>The pipeline ends, faulted with a <see cref="PipelineOverflowException"/> that names its capacity (<c>fail</c>).</summary>
    Fail,
}

/// <summary>Reads a mode by its HOCON name (<c>drop-oldest</c>) as well as by its own (<c>DropOldest</c>), so that
/// <c>IConfiguration</c> binds either.</summary>
internal sealed class OverflowModeConverter(Type type) : EnumConverter(type)
{
    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string text ? PipelineSettings.ParseOverflow(text.Trim()) : base.ConvertFrom(context, culture, value);
}

/// <summary>Why an item was dropped: which item made room under the pipeline's <see cref="OverflowMode"/>.</summary>
public enum DropReason
{
    /// <summary>The item came while the capacity was used up and nothing waiting could make room for it (every item of
    /// the capacity was at a consumer), or the mode is <see cref="OverflowMode.DropIncoming"/> or <see cref="OverflowMode.Fail"/>.</summary>
    Incoming,

    /// <summary>The item was the oldest waiting for a consumer when a new one came (<see cref="OverflowMode.DropOldest"/>).</summary>
    Oldest,

    /// <summary>The item was the newest waiting for a consumer when a new one came (<see cref="OverflowMode.DropNewest"/>).</summary>
    Newest,
}

/// <summary>A pipeline with <c>overflow = fail</c> was offered an item while its capacity was used up.</summary>
public sealed class PipelineOverflowException : Exception
{
    /// <summary>Creates the exception for a pipeline of <paramref name="capacity"/> items that overflowed.</summary>
    public PipelineOverflowException(string message, int capacity)
        : base(message) => Capacity = capacity;

    /// <summary>The capacity that was used up.</summary>
    public int Capacity { get; }
}
