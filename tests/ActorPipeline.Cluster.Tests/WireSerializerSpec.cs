using System.Runtime.Serialization;
using ActorPipeline.Cluster.Wire;
using ActorPipeline.Internal;
using Akka.Actor;
using Akka.Serialization;
using Xunit.Abstractions;

namespace ActorPipeline.Cluster.Tests;

/// <summary>Every message between a pipeline and its routees survives the wire, and what does not parse is rejected.</summary>
public sealed class WireSerializerSpec(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ClusterPipeline.DefaultConfig(), output: output)
{
    public sealed record Order(string Customer, int Quantity);

    private SerializerWithStringManifest Serializer => (SerializerWithStringManifest)Sys.Serialization.FindSerializerForType(typeof(ChunkConsumed));

    private T RoundTrip<T>(T message) where T : notnull
    {
        var serializer = Serializer;
        return (T)serializer.FromBinary(serializer.ToBinary(message), serializer.Manifest(message));
    }

    [Fact]
    public void The_cluster_config_binds_the_library_s_serializer_to_its_messages()
    {
        Assert.True(ClusterPipeline.HasWireFormat(Sys));
        foreach (var type in new[] { typeof(ConsumeChunk<long>), typeof(ConsumeChunk<Order>), typeof(ChunkTaken), typeof(CheckHandler), typeof(ConsumerStartFailed), typeof(RouteeSettings) })
            Assert.IsType<WireSerializer>(Sys.Serialization.FindSerializerForType(type));
    }

    [Fact]
    public void Chunks_of_primitive_and_other_items_round_trip()
    {
        Assert.Equal([1L, -2L, long.MaxValue], RoundTrip(new ConsumeChunk<long>(7, [1L, -2L, long.MaxValue], 2)).Items);
        Assert.Equal([3, 4], RoundTrip(new ConsumeChunk<int>(8, [3, 4], 0)).Items);
        Assert.Equal([0.5, double.NaN], RoundTrip(new ConsumeChunk<double>(9, [0.5, double.NaN], 0)).Items);
        Assert.Equal(["a", null, ""], RoundTrip(new ConsumeChunk<string?>(10, ["a", null, ""], 0)).Items);

        var orders = RoundTrip(new ConsumeChunk<Order>(11, [new("x", 1), new("y", 2)], 1));
        Assert.Equal((11L, 1), (orders.ChunkId, orders.Attempt));
        Assert.Equal([new Order("x", 1), new Order("y", 2)], orders.Items);
    }

    [Fact]
    public void An_answer_round_trips_the_items_to_try_again_after_a_wait_and_only_the_results_of_those_that_succeeded()
    {
        var answer = new ChunkConsumed(6, "c1", 3, [], 1, null)
        {
            Results = new[] { "r0", "r2", "never written" },
            Deferred = [new ItemFault(1, new TimeoutException("try later"), 1)],
        };

        var copy = RoundTrip(answer);

        var deferred = Assert.Single(copy.Deferred!);
        Assert.Equal((1, 1, "try later"), (deferred.Index, deferred.Attempts, deferred.Cause.Message));
        Assert.Equal(new[] { "r0", "r2" }, copy.Results);
        Assert.Null(RoundTrip(new ChunkConsumed(7, "c1", 1, [], 0, null)).Deferred);
    }

    [Fact]
    public void An_answer_round_trips_with_its_failures_interruption_and_the_results_of_the_items_that_succeeded()
    {
        var answer = new ChunkConsumed(5, "c1", 3, [new ItemFault(1, new InvalidOperationException("bad item"), 2)], 1, new TimeoutException("late"), InterruptedItemStarted: false)
        {
            Results = new[] { "r0", "r2", "never written" },
            Took = TimeSpan.FromTicks(12_345),
        };

        var copy = RoundTrip(answer);

        Assert.Equal((5L, "c1", 3, 1, false), (copy.ChunkId, copy.Consumer, copy.Answered, copy.Retried, copy.InterruptedItemStarted));
        var fault = Assert.Single(copy.Failures);
        Assert.Equal((1, 2), (fault.Index, fault.Attempts));
        var cause = Assert.IsType<RemoteFailureException>(fault.Cause);
        Assert.Equal((typeof(InvalidOperationException).FullName, "bad item"), (cause.ExceptionType, cause.Message));
        Assert.Equal("late", Assert.IsType<RemoteFailureException>(copy.Interruption).Message);
        Assert.Equal(new[] { "r0", "r2" }, copy.Results);
        Assert.Equal(TimeSpan.FromTicks(12_345), copy.Took);
    }

    [Fact]
    public void Results_of_other_types_go_through_the_serializer_akka_binds_for_them()
    {
        var copy = RoundTrip(new ChunkConsumed(1, "c2", 2, [], 0, null) { Results = new[] { new Order("a", 1), new Order("b", 2) } });

        Assert.Equal(new[] { new Order("a", 1), new Order("b", 2) }, copy.Results);
        Assert.Null(copy.Interruption);
    }

    [Fact]
    public void The_library_s_own_messages_round_trip_with_their_actor_references()
    {
        Assert.True(RoundTrip(ChunkTaken.Begun).Started);
        Assert.False(RoundTrip(ChunkTaken.Queued).Started);
        Assert.Same(CheckHandler.Instance, RoundTrip(CheckHandler.Instance));

        var settings = RoundTrip(new RouteeSettings(typeof(WireSerializerSpec), TestActor, 3, TimeSpan.FromMilliseconds(1500), RetryLater: true));
        Assert.Equal(new RouteeSettings(typeof(WireSerializerSpec), TestActor, 3, TimeSpan.FromMilliseconds(1500), RetryLater: true), settings);

        Assert.Equal("no handler", RoundTrip(new ConsumerStartFailed(new MissingMethodException("no handler"))).Cause.Message);
    }

    [Theory]
    [InlineData("C", new byte[] { 1, 2, 3 })]
    [InlineData("Q", new byte[] { })]
    [InlineData("", new byte[] { })]
    [InlineData("CNo.Such.Type, Nowhere", new byte[] { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })]
    [InlineData("T", new byte[] { 1 })]
    public void A_payload_that_does_not_parse_is_rejected_with_an_error_that_names_it(string manifest, byte[] bytes)
    {
        var error = Assert.Throws<SerializationException>(() => Serializer.FromBinary(bytes, manifest));

        Assert.Contains($"manifest '{manifest}'", error.Message);
    }

    [Fact]
    public void A_count_larger_than_the_payload_is_rejected_before_anything_is_allocated()
    {
        var bytes = Serializer.ToBinary(new ConsumeChunk<long>(1, [1L], 0));
        BitConverter.GetBytes(int.MaxValue).CopyTo(bytes, 13); // the item count follows the version, the chunk id and the attempt

        var error = Assert.Throws<SerializationException>(() => Serializer.FromBinary(bytes, Serializer.Manifest(new ConsumeChunk<long>(1, [1L], 0))));

        Assert.Contains("does not fit", error.Message);
    }

    [Fact]
    public void A_payload_of_another_format_version_is_rejected_with_both_versions_named()
    {
        var message = ChunkTaken.Begun;
        var bytes = Serializer.ToBinary(message);
        var ours = bytes[0];
        bytes[0] = (byte)(ours + 1);

        var error = Assert.Throws<SerializationException>(() => Serializer.FromBinary(bytes, Serializer.Manifest(message)));

        Assert.Contains($"format version {ours + 1}; this node reads version {ours}", error.Message);
    }

    [Fact]
    public void Trailing_bytes_are_rejected()
    {
        var message = ChunkTaken.Queued;
        var bytes = Serializer.ToBinary(message).Append((byte)0).ToArray();

        Assert.Throws<SerializationException>(() => Serializer.FromBinary(bytes, Serializer.Manifest(message)));
    }
}
