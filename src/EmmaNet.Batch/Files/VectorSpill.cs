using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace EmmaNet.Batch.Files;

/// <summary>
/// Float vectors written to a hidden temp file as they are made and read back later: what a long video would
/// otherwise keep in memory until its end (its tracked faces' keypoints and features, its skeletons, the identity
/// sums of people who left). The file is made at the first vector and deleted when closed; one a killed run left
/// behind carries the temp files' name (<see cref="AtomicFile.TempName"/>), so the next run's leftover sweep removes
/// it. Unbuffered (one positioned write a vector), so a full disk fails the write that hit it, never the close.
/// </summary>
/// <param name="name">What the vectors are, in the temp file's name (e.g. <c>clip.features</c>).</param>
public sealed class VectorSpill(string folder, string name) : IDisposable
{
    private readonly string _path = Path.Combine(folder, AtomicFile.TempName(name, Environment.ProcessId, Guid.NewGuid()));
    private SafeFileHandle? _file;
    private long _length;

    /// <summary>Where a vector lies in the file.</summary>
    public readonly record struct Place(long Offset, int Count);

    /// <exception cref="IOException">The file cannot be made or written (naming it and why).</exception>
    public Place Write(ReadOnlySpan<float> vector)
    {
        var place = new Place(_length, vector.Length);
        try
        {
            _file ??= File.OpenHandle(_path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.DeleteOnClose);
            RandomAccess.Write(_file, MemoryMarshal.AsBytes(vector), _length);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot write temp file {_path}: {ex.Message}", ex);
        }
        _length += (long)vector.Length * sizeof(float);
        return place;
    }

    public float[] Read(Place place)
    {
        var vector = new float[place.Count];
        var bytes = MemoryMarshal.AsBytes(vector.AsSpan());
        for (var done = 0; done < bytes.Length;)
        {
            var read = RandomAccess.Read(_file ?? throw new InvalidOperationException("nothing was written"), bytes[done..], place.Offset + done);
            if (read == 0)
            {
                throw new IOException($"{_path}: ended at byte {place.Offset + done} inside a vector");
            }
            done += read;
        }
        return vector;
    }

    public void Dispose() => _file?.Dispose();
}
