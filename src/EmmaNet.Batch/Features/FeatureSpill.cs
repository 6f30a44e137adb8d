using System.Runtime.InteropServices;
using EmmaNet.Batch.Files;

namespace EmmaNet.Batch.Features;

/// <summary>
/// A video's face feature vectors (about 1 KB a face a tick), written to a hidden temp file as they are made and read
/// back when their subject is built at the video's end: what a long many-face video keeps in memory until then is the
/// tracked faces, not their features. The file is deleted when closed; one a killed run left behind carries the
/// temp files' name (<see cref="AtomicFile.TempName"/>), so the next run's leftover sweep removes it.
/// </summary>
public sealed class FeatureSpill : IDisposable
{
    private readonly FileStream _file;
    private long _length;
    private bool _flushed = true;

    public FeatureSpill(string folder, string stem)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, AtomicFile.TempName(stem + ".features", Environment.ProcessId, Guid.NewGuid()));
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
    }

    /// <summary>Where a vector lies in the file.</summary>
    public readonly record struct Place(long Offset, int Count);

    public Place Write(float[] vector)
    {
        var place = new Place(_length, vector.Length);
        _file.Write(MemoryMarshal.AsBytes(vector.AsSpan()));
        _length += (long)vector.Length * sizeof(float);
        _flushed = false;
        return place;
    }

    public float[] Read(Place place)
    {
        if (!_flushed)
        {
            _file.Flush();
            _flushed = true;
        }
        var vector = new float[place.Count];
        var bytes = MemoryMarshal.AsBytes(vector.AsSpan());
        for (var done = 0; done < bytes.Length;)
        {
            var read = RandomAccess.Read(_file.SafeFileHandle, bytes[done..], place.Offset + done);
            if (read == 0)
            {
                throw new IOException($"{_file.Name}: ended at byte {place.Offset + done} inside a feature vector");
            }
            done += read;
        }
        return vector;
    }

    public void Dispose() => _file.Dispose();
}
