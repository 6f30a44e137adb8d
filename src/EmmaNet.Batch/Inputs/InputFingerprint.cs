using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;

namespace EmmaNet.Batch.Inputs;

/// <summary>
/// What an input file was when it was analysed: its absolute path, size, modification time, and a fast content
/// fingerprint (SHA-256 of the size and the first and last MiB). Outputs record it; a re-run skips an output only
/// when the input still matches it.
/// </summary>
public sealed record InputFingerprint(string Path, long Size, DateTime ModifiedUtc, string Sha256)
{
    private const int Edge = 1 << 20;

    /// <summary>
    /// The fingerprint of <paramref name="path"/>; for a path that names no readable file (an in-memory source, or a
    /// file the decoder will then fail on, naming why) one that records the path alone.
    /// </summary>
    public static InputFingerprint Of(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        try
        {
            return OfFile(full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new InputFingerprint(full, -1, DateTime.MinValue, "none");
        }
    }

    private static InputFingerprint OfFile(string full)
    {
        var info = new FileInfo(full);
        if (info.Length == 0)
        {
            // Not opened: an empty file has nothing to hash, and a FIFO (which also reports 0 bytes) would block the open.
            return new InputFingerprint(full, 0, info.LastWriteTimeUtc, Convert.ToHexStringLower(SHA256.HashData(new byte[8])));
        }
        using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> size = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(size, stream.Length);
        hash.AppendData(size);
        var buffer = new byte[Edge];
        hash.AppendData(buffer, 0, stream.ReadAtLeast(buffer, Edge, throwOnEndOfStream: false));
        if (stream.Length > Edge)
        {
            stream.Seek(-Math.Min(Edge, stream.Length - Edge), SeekOrigin.End);
            hash.AppendData(buffer, 0, stream.ReadAtLeast(buffer, Edge, throwOnEndOfStream: false));
        }
        return new InputFingerprint(full, stream.Length, info.LastWriteTimeUtc, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    /// <summary>The metadata keys (without the output prefix) and values that say what an output was made from.</summary>
    public IEnumerable<KeyValuePair<string, string>> Entries() =>
    [
        new("input.path", Path),
        new("input.size", Size.ToString(CultureInfo.InvariantCulture)),
        new("input.modified_utc", ModifiedUtc.ToString("O", CultureInfo.InvariantCulture)),
        new("input.fingerprint", Sha256),
    ];
}
