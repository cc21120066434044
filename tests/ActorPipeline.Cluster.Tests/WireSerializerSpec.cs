using System.Runtime.Serialization;
using ActorPipeline.Cluster.Wire;
using ActorPipeline.Internal;
using Akka.Actor;
using Akka.Serialization;
using Xunit.Abstractions;

namespace ActorPipeline.Cluster.Tests;

/// <summary>Every message between a pipeline and its routees survives the wire, and what does not parse is rejected.</summary>
public sealed class WireSerializerSpec : Akka.TestKit.Xunit2.TestKit
{
    public WireSerializerSpec(ITestOutputHelper output)
        : base(ClusterPipeline.DefaultConfig(), output: output) =>
        // What a pipeline of orders declares when it starts.
        ClusterPipeline.Expect(Sys, typeof(Order));

    public sealed record Order(string Customer, int Quantity);

    /// <summary>A type no pipeline here declared, that counts its instances: nothing read from the wire may create one.</summary>
    public sealed class Canary
    {
        public static int Created;

        public Canary() => Interlocked.Increment(ref Created);

        public int Value { get; set; }
    }

    /// <summary>A handler type no pipeline here declared, that counts its instances.</summary>
    public sealed class CanaryHandler : IItemHandler<Canary>
    {
        public static int Created;

        public CanaryHandler() => Interlocked.Increment(ref Created);

        public ValueTask HandleAsync(Canary item, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

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
        foreach (var type in new[] { typeof(ConsumeChunk<long>), typeof(ConsumeChunk<Order>), typeof(ChunkTaken), typeof(CheckHandler), typeof(ChunkAbandoned), typeof(ConsumerStartFailed), typeof(RouteeSettings) })
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
    public void A_chunk_carries_the_trace_contexts_its_items_came_with()
    {
        var traces = new[]
        {
            new System.Diagnostics.ActivityContext(System.Diagnostics.ActivityTraceId.CreateRandom(), System.Diagnostics.ActivitySpanId.CreateRandom(), System.Diagnostics.ActivityTraceFlags.Recorded),
            new System.Diagnostics.ActivityContext(System.Diagnostics.ActivityTraceId.CreateRandom(), System.Diagnostics.ActivitySpanId.CreateRandom(), System.Diagnostics.ActivityTraceFlags.None),
        };

        var copy = RoundTrip(new ConsumeChunk<long>(4, [1L, 2L], 0) { Traces = traces });

        Assert.Equal(traces.Select(t => (t.TraceId, t.SpanId, t.TraceFlags)), copy.Traces!.Select(t => (t.TraceId, t.SpanId, t.TraceFlags)));
        Assert.All(copy.Traces!, t => Assert.True(t.IsRemote));
        Assert.Null(RoundTrip(new ConsumeChunk<long>(5, [1L], 0)).Traces);
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
        Assert.Equal(new ChunkAbandoned(42), RoundTrip(new ChunkAbandoned(42)));

        var settings = RoundTrip(new RouteeSettings(typeof(WhereHandled), TestActor, 3, TimeSpan.FromMilliseconds(1500), RetryLater: true));
        Assert.Equal(new RouteeSettings(typeof(WhereHandled), TestActor, 3, TimeSpan.FromMilliseconds(1500), RetryLater: true), settings);

        Assert.Equal("no handler", RoundTrip(new ConsumerStartFailed(new MissingMethodException("no handler"))).Cause.Message);
    }

    [Theory]
    [InlineData("C", new byte[] { 1, 2, 3 })]
    [InlineData("Q", new byte[] { })]
    [InlineData("", new byte[] { })]
    [InlineData("CNo.Such.Type, Nowhere", new byte[] { 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })]
    [InlineData("T", new byte[] { 1 })]
    public void A_payload_that_does_not_parse_is_rejected_with_an_error_that_names_it(string manifest, byte[] bytes)
    {
        var error = Assert.Throws<SerializationException>(() => Serializer.FromBinary(bytes, manifest));

        Assert.Contains($"manifest '{manifest}'", error.Message);
    }

    [Fact]
    public void A_payload_naming_a_type_this_node_does_not_expect_is_refused_and_nothing_of_it_is_created()
    {
        var canaries = new ConsumeChunk<Canary>(1, [new Canary { Value = 1 }], 0);
        var created = Canary.Created;
        var sender = Sys.Serialization.FindSerializerForType(typeof(Canary));

        // A chunk of undeclared items, whatever its bytes (made here as a node that declared them would make them).
        var chunk = Assert.Throws<SerializationException>(() => Serializer.FromBinary(Serializer.ToBinary(canaries), Serializer.Manifest(canaries)));
        // Declared items whose values are a Canary: written by the serializer bound for orders (Akka's JSON, whose
        // "$type" names the Canary), or by another serializer with a manifest that names it.
        var json = sender.ToBinary(new Canary { Value = 2 });
        var orders = new ConsumeChunk<Order>(2, [new Order("x", 1)], 0);
        var asOrder = Assert.Throws<SerializationException>(() => Serializer.FromBinary(Crafted(sender.Identifier, "", json), Serializer.Manifest(orders)));
        var otherSerializer = Assert.Throws<SerializationException>(() => Serializer.FromBinary(
            Crafted(Serializer.Identifier, WireTypes.NameOf(typeof(Canary)), json), Serializer.Manifest(orders)));
        // Results of a dangerous type, and a deployment of a type that is no handler or an undeclared one.
        var process = Assert.Throws<SerializationException>(() => Serializer.FromBinary(
            Serializer.ToBinary(new ChunkConsumed(3, "c", 0, [], 0, null)), "RSystem.Diagnostics.Process, System.Diagnostics.Process"));
        var settings = Serializer.ToBinary(new RouteeSettings(typeof(WhereHandled), TestActor, 0, TimeSpan.FromSeconds(1), false));
        var notHandler = Assert.Throws<SerializationException>(() => Serializer.FromBinary(
            Replace(settings, WireTypes.NameOf(typeof(WhereHandled)), WireTypes.NameOf(typeof(Canary))), Serializer.Manifest(new RouteeSettings(typeof(WhereHandled), TestActor, 0, TimeSpan.FromSeconds(1), false))));

        Assert.Contains("is not one this node expects", chunk.Message);
        Assert.Contains("is not one this node expects (named by a JSON value's $type)", asOrder.Message);
        Assert.Contains($"the payload names serializer {Serializer.Identifier}", otherSerializer.Message);
        Assert.Contains("is not one this node expects", process.Message);
        Assert.Contains("is no item handler", notHandler.Message);
        Assert.Equal(created + 1, Canary.Created); // the one made above to be sent, and none read
        Assert.NotNull(sender);
    }

    [Fact]
    public void A_node_that_hosts_only_its_declared_handlers_refuses_the_deployment_of_any_other()
    {
        RunningPipelines.For(Sys).WireTypes.DeclareHandlers([typeof(WhereHandled)], only: true);
        var canary = new RouteeSettings(typeof(CanaryHandler), TestActor, 0, TimeSpan.FromSeconds(1), false);

        var error = Assert.Throws<SerializationException>(() => Serializer.FromBinary(Serializer.ToBinary(canary), Serializer.Manifest(canary)));

        Assert.Contains("is not one this node hosts", error.Message);
        Assert.Equal(0, CanaryHandler.Created);
        Assert.Equal(typeof(WhereHandled), RoundTrip(canary with { Handler = typeof(WhereHandled) }).Handler);
    }

    [Fact]
    public void Truncated_payloads_of_every_message_are_rejected()
    {
        var messages = new object[]
        {
            new ConsumeChunk<Order>(1, [new Order("x", 1), new Order("y", 2)], 0), new ConsumeChunk<long>(2, [1L, 2L], 0),
            new ChunkConsumed(3, "c", 2, [new ItemFault(1, new InvalidOperationException("bad"), 1)], 0, null) { Results = new[] { new Order("r", 1) } },
            new RouteeSettings(typeof(WhereHandled), TestActor, 0, TimeSpan.FromSeconds(1), false), ChunkTaken.Begun, new ChunkAbandoned(7),
        };

        foreach (var message in messages)
        {
            var bytes = Serializer.ToBinary(message);
            for (var length = 0; length < bytes.Length; length++)
                Assert.Throws<SerializationException>(() => Serializer.FromBinary(bytes[..length], Serializer.Manifest(message)));
        }
    }

    private static byte[] Replace(byte[] bytes, string from, string to)
    {
        // Strings are written length-prefixed (one byte for short ones): the prefix changes with the name.
        var source = System.Text.Encoding.UTF8.GetBytes(from);
        var target = System.Text.Encoding.UTF8.GetBytes(to);
        var at = bytes.AsSpan().IndexOf(source);
        Assert.True(at > 0, $"'{from}' is not in the payload");
        Assert.True(source.Length < 128 && target.Length < 128);
        return [.. bytes[..(at - 1)], (byte)target.Length, .. target, .. bytes[(at + source.Length)..]];
    }

    // A chunk of one value as the wire format lays it out, with the serializer, manifest and bytes given.
    private static byte[] Crafted(int serializerId, string manifest, byte[] value)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer))
        {
            writer.Write(WireFormat.Version);
            writer.Write(2L);
            writer.Write(0);
            writer.Write(1);
            writer.Write(WireFormat.NewType);
            writer.Write(serializerId);
            writer.Write(manifest);
            writer.Write(value.Length);
            writer.Write(value);
        }

        return buffer.ToArray();
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
