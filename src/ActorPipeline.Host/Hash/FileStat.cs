using System.Runtime.InteropServices;

namespace ActorPipeline.Host;

/// <summary>What a path is, as <c>lstat</c>/<c>stat</c> say: .NET reports FIFOs and devices as plain files, and opening a
/// FIFO blocks, so the tree walks must tell them apart.</summary>
internal static partial class FileStat
{
    /// <summary>The kinds of entries a walk tells apart.</summary>
    public enum Kind
    {
        /// <summary>Nothing there (or a dangling link, when links are followed).</summary>
        Missing,
        /// <summary>A regular file.</summary>
        File,
        /// <summary>A directory.</summary>
        Directory,
        /// <summary>A symbolic link (when links are not followed).</summary>
        Link,
        /// <summary>A FIFO, socket or device.</summary>
        Special,
    }

    /// <summary>What <paramref name="path"/> is, and its (device, inode) identity; <paramref name="follow"/> resolves links.</summary>
    public static (Kind Kind, (ulong Device, ulong Inode) Id) Of(string path, bool follow)
    {
        if (ModeOffset is not { } offset)
            return FromDotNet(path, follow);

        Span<byte> buffer = stackalloc byte[256];
        var result = follow ? Stat(path, buffer) : LStat(path, buffer);
        if (result != 0)
            return (Kind.Missing, default);
        var mode = BitConverter.ToUInt32(buffer[offset..]) & 0xF000;
        var id = (BitConverter.ToUInt64(buffer), BitConverter.ToUInt64(buffer[8..]));
        return (mode switch
        {
            0x8000 => Kind.File,
            0x4000 => Kind.Directory,
            0xA000 => Kind.Link,
            _ => Kind.Special,
        }, id);
    }

    // Where st_mode sits in struct stat: after dev, ino, nlink (8 bytes each) on x86-64; after dev and ino on the
    // generic layout of arm64. Elsewhere the walk falls back to what .NET can tell (it cannot see FIFOs).
    private static readonly int? ModeOffset =
        !OperatingSystem.IsLinux() ? null
        : RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 24,
            Architecture.Arm64 => 16,
            _ => null,
        };

    private static (Kind, (ulong, ulong)) FromDotNet(string path, bool follow)
    {
        FileSystemInfo info = Directory.Exists(path) ? new DirectoryInfo(path) : new FileInfo(path);
        if (info.LinkTarget is not null && follow)
            info = info.ResolveLinkTarget(returnFinalTarget: true) ?? info;
        if (!info.Exists)
            return (Kind.Missing, default);
        return (info.LinkTarget is not null ? Kind.Link : info is DirectoryInfo ? Kind.Directory : Kind.File, default);
    }

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, Span<byte> buffer);

    [LibraryImport("libc", EntryPoint = "lstat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LStat(string path, Span<byte> buffer);
}
