using System.Diagnostics;

namespace EmmaNet.Batch.Tests.Support;

/// <summary>
/// Small synthetic clips made once per test run with ffmpeg's own sources (test patterns and tones), for decoding
/// facts that need exact known timing: constant and variable frame rate, rotation, no audio.
/// </summary>
public sealed class GeneratedClips : IDisposable
{
    private readonly TempFolder _folder = new();

    public GeneratedClips()
    {
        // 3 s at 30 fps with a 440 Hz tone: 90 frames, 48000 samples at 16 kHz.
        Cfr30 = Make("cfr30.mp4", "-f lavfi -i testsrc2=size=320x240:rate=30:duration=3 -f lavfi -i sine=frequency=440:sample_rate=44100:duration=3 -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -shortest");
        // Variable frame rate: 1 s at 30 fps then 2 s at 10 fps (timestamps rewritten), no audio.
        Vfr = Make("vfr.mkv", "-f lavfi -i testsrc2=size=160x120:rate=30:duration=3 -vf \"select='lt(n,30)+not(mod(n-30,3))',setpts='if(lt(N,30),N/30,1+(N-30)/10)/TB'\" -fps_mode vfr -c:v libx264 -preset ultrafast -pix_fmt yuv420p");
        // A phone video: stored 320x240 with 90 degree rotation metadata, displayed 240x320.
        Rotated = Make("rotated.mp4", "-f lavfi -i testsrc2=size=320x240:rate=30:duration=1 -c:v libx264 -preset ultrafast -pix_fmt yuv420p");
        SetRotation90(Rotated);
    }

    public string Cfr30 { get; }

    public string Vfr { get; }

    public string Rotated { get; }

    public string Folder => _folder.Path;

    private string Make(string name, string arguments)
    {
        var path = _folder.File(name);
        Run("ffmpeg", $"-v error -y {arguments} \"{path}\"");
        return path;
    }

    /// <summary>
    /// Writes a 90 degree display matrix into the mp4's track header, as phones do (ffmpeg 5.1 cannot set it when
    /// encoding). tkhd version 0: the matrix starts 40 bytes after the box header; 16.16 fixed point a, b, u, c, d, v, x, y, w.
    /// </summary>
    private static void SetRotation90(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var at = bytes.AsSpan().IndexOf("tkhd"u8);
        if (at < 4 || bytes[at + 4] != 0)
        {
            throw new InvalidOperationException("no version-0 tkhd box in " + path);
        }
        var matrix = at + 4 + 40;
        int[] rotate90 = [0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000];
        for (var i = 0; i < rotate90.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(matrix + i * 4), rotate90[i]);
        }
        File.WriteAllBytes(path, bytes);
    }

    public static void Run(string program, string arguments)
    {
        var psi = new ProcessStartInfo(program, arguments) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {arguments} failed: {stderr.Result}");
        }
    }

    public void Dispose() => _folder.Dispose();
}

[CollectionDefinition(Name)]
public sealed class ClipsCollection : ICollectionFixture<GeneratedClips>
{
    public const string Name = "generated clips";
}
