using ActorPipeline.Internal;
using Akka.Actor;
using Akka.Serialization;

namespace ActorPipeline.Cluster.Wire;

/// <summary>Writes and reads runs of items or results: the common primitive types inline, any other type through the
/// serializer Akka binds for it, so an application chooses how its items travel.</summary>
internal sealed class WireValues(ExtendedActorSystem system)
{
    /// <summary>Writes how many <paramref name="values"/> there are, then each of them.</summary>
    public void Write<TValue>(BinaryWriter writer, ReadOnlySpan<TValue> values)
    {
        writer.Write(values.Length);
        if (typeof(TValue) == typeof(long))
        {
            foreach (var v in Cast<TValue, long>(values))
                writer.Write(v);
        }
        else if (typeof(TValue) == typeof(int))
        {
            foreach (var v in Cast<TValue, int>(values))
                writer.Write(v);
        }
        else if (typeof(TValue) == typeof(double))
        {
            foreach (var v in Cast<TValue, double>(values))
                writer.Write(v);
        }
        else if (typeof(TValue) == typeof(string))
        {
            foreach (var v in Cast<TValue, string?>(values))
                WriteString(writer, v);
        }
        else
        {
            WriteObjects(writer, values);
        }
    }

    /// <summary>Reads values written by <see cref="Write{TValue}"/> into a new array.</summary>
    public TValue[] Read<TValue>(BinaryReader reader)
    {
        var count = ReadCount(reader, 1);
        if (typeof(TValue) == typeof(long))
            return (TValue[])(object)ReadEach(count, reader.ReadInt64);
        if (typeof(TValue) == typeof(int))
            return (TValue[])(object)ReadEach(count, reader.ReadInt32);
        if (typeof(TValue) == typeof(double))
            return (TValue[])(object)ReadEach(count, reader.ReadDouble);
        if (typeof(TValue) == typeof(string))
            return (TValue[])(object)ReadEach(count, () => ReadString(reader));
        return ReadObjects<TValue>(reader, count);
    }

    public static void WriteString(BinaryWriter writer, string? value)
    {
        writer.Write(value is not null);
        if (value is not null)
            writer.Write(value);
    }

    public static string? ReadString(BinaryReader reader) => reader.ReadBoolean() ? reader.ReadString() : null;

    /// <summary>Reads a count that cannot exceed what the rest of the payload could hold, so a forged count allocates nothing.</summary>
    public static int ReadCount(BinaryReader reader, int minBytesEach)
    {
        var count = reader.ReadInt32();
        var left = reader.BaseStream.Length - reader.BaseStream.Position;
        if (count < 0 || (long)count * minBytesEach > left)
            throw new InvalidDataException($"A count of {count} does not fit in the {left} bytes left.");
        return count;
    }

    // The generic checks above make TFrom and TTo the same type; the cast costs nothing at run time.
    private static ReadOnlySpan<TTo> Cast<TFrom, TTo>(ReadOnlySpan<TFrom> values) =>
        System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(
            ref System.Runtime.CompilerServices.Unsafe.As<TFrom, TTo>(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(values)), values.Length);

    private static TValue[] ReadEach<TValue>(int count, Func<TValue> read)
    {
        var values = new TValue[count];
        for (var i = 0; i < values.Length; i++)
            values[i] = read();
        return values;
    }

    // Items of one chunk nearly always share their runtime type: its serializer and manifest are written once per run
    // of such values, not once per value.
    private void WriteObjects<TValue>(BinaryWriter writer, ReadOnlySpan<TValue> values)
    {
        Type? lastType = null;
        Serializer? serializer = null;
        foreach (var value in values)
        {
            if (value is null)
            {
                writer.Write(WireFormat.NullValue);
                continue;
            }

            if (value.GetType() != lastType)
            {
                lastType = value.GetType();
                serializer = system.Serialization.FindSerializerFor(value);
                writer.Write(WireFormat.NewType);
                writer.Write(serializer.Identifier);
                writer.Write(Serialization.ManifestFor(serializer, value));
            }
            else
            {
                writer.Write(WireFormat.SameType);
            }

            var bytes = serializer!.ToBinary(value);
            writer.Write(bytes.Length);
            writer.Write(bytes);
        }
    }

    private TValue[] ReadObjects<TValue>(BinaryReader reader, int count)
    {
        var values = new TValue[count];
        Func<byte[], object>? read = null;
        for (var i = 0; i < values.Length; i++)
        {
            switch (reader.ReadByte())
            {
                case WireFormat.NullValue:
                    continue;
                case WireFormat.NewType:
                    read = Reader<TValue>(reader.ReadInt32(), reader.ReadString());
                    break;
                case WireFormat.SameType when read is not null:
                    break;
                default:
                    throw new InvalidDataException("A value's type marker is not valid here.");
            }

            values[i] = (TValue)read(reader.ReadBytes(ReadCount(reader, 1)));
        }

        return values;
    }

    // How to read a run of values of one serializer and manifest: only with the serializer this node binds for the
    // declared type, and, for a serializer whose manifest names a type, only a declared type that is a TValue. A payload
    // that names another serializer or type is refused before anything is created from it.
    private Func<byte[], object> Reader<TValue>(int serializerId, string manifest)
    {
        var bound = system.Serialization.FindSerializerForType(typeof(TValue));
        if (bound.Identifier != serializerId)
        {
            // A subtype bound to a serializer of its own travels as itself: it must be declared (ClusterPipeline.Expect).
            if (!RunningPipelines.For(system).WireTypes.TryGet(manifest, out var subtype) || !typeof(TValue).IsAssignableFrom(subtype)
                || system.Serialization.FindSerializerForType(subtype) is not { } own || own.Identifier != serializerId)
                throw new InvalidDataException(
                    $"Values of {typeof(TValue).Name} are read here with serializer {bound.Identifier}; the payload names serializer {serializerId} and '{manifest}'.");
            return bytes => own.FromBinary(bytes, subtype);
        }

        if (bound is SerializerWithStringManifest withManifest)
            return bytes => withManifest.FromBinary(bytes, manifest);
        if (bound is NewtonSoftJsonSerializer)
            return bytes => bound.FromBinary(OnlyDeclaredJsonTypes(bytes), typeof(TValue));
        if (!bound.IncludeManifest || manifest.Length == 0)
            return bytes => bound.FromBinary(bytes, typeof(TValue));
        if (!RunningPipelines.For(system).WireTypes.TryGet(manifest, out var named) || !typeof(TValue).IsAssignableFrom(named))
            throw new InvalidDataException($"Type '{manifest}' is not one this node expects as a {typeof(TValue).Name}.");
        return bytes => bound.FromBinary(bytes, named);
    }

    // Akka's default JSON serializer creates whatever type a "$type" in the payload names, before the value is checked
    // against the type expected: every type named must be one this node declared, or nothing is read.
    private byte[] OnlyDeclaredJsonTypes(byte[] json)
    {
        var types = RunningPipelines.For(system).WireTypes;
        var reader = new System.Text.Json.Utf8JsonReader(json);
        while (reader.Read())
        {
            if (reader.TokenType != System.Text.Json.JsonTokenType.PropertyName || !reader.ValueTextEquals("$type"u8))
                continue;
            reader.Read();
            var name = reader.TokenType == System.Text.Json.JsonTokenType.String ? reader.GetString() ?? "" : "";
            if (!types.TryGet(name, out _))
                throw new InvalidDataException($"Type '{name}' is not one this node expects (named by a JSON value's $type).");
        }

        return json;
    }
}
