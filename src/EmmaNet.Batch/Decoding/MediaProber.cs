using FFMpegCore;
using FFMpegCore.Exceptions;

namespace EmmaNet.Batch.Decoding;

/// <summary>Probes a file with ffprobe and turns every way it can fail into a one-line <see cref="MediaException"/>.</summary>
public static class MediaProber
{
    public static async Task<MediaInfo> ProbeAsync(string path, CancellationToken cancellationToken)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new MediaException(path, "file not found");
        }
        if (file.LinkTarget is { } target && file.ResolveLinkTarget(returnFinalTarget: true) is not { Exists: true })
        {
            throw new MediaException(path, $"file not found (a symbolic link to {target}, which does not exist)");
        }
        if (file.Length == 0)
        {
            throw new MediaException(path, SpecialFileKind(path) is { } kind ? $"not a regular file ({kind})" : "empty file (0 bytes)");
        }

        IMediaAnalysis analysis;
        // FFMpegCore hands ffprobe one command-line string with the path in double quotes: a name holding a quote
        // or a backslash would be cut there. Such files are probed through a symbolic link with a plain name.
        var awkward = path.IndexOfAny(['"', '\\', '`', '$']) >= 0;
        var probePath = awkward ? Path.Combine(Path.GetTempPath(), $"emmanet-probe-{Guid.NewGuid():N}{Path.GetExtension(path).Replace("\"", "", StringComparison.Ordinal)}") : path;
        try
        {
            if (awkward)
            {
                File.CreateSymbolicLink(probePath, Path.GetFullPath(path));
            }
            analysis = await FFProbe.AnalyseAsync(probePath, cancellationToken: cancellationToken);
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception ex) when (ex is FFProbeException or FFMpegException or FormatException or System.Text.Json.JsonException or UnauthorizedAccessException or IOException)
        {
            throw new MediaException(path, "not a readable media file: " + FirstLine(ex).Replace(probePath, path, StringComparison.Ordinal));
        }
        finally
        {
            if (awkward)
            {
                File.Delete(probePath);
            }
        }

        var video = analysis.PrimaryVideoStream;
        if (video is null || video.Width is null or <= 0 || video.Height is null or <= 0)
        {
            var what = analysis.PrimaryAudioStream is null ? "no video or audio stream" : "audio only, no video stream";
            throw new MediaException(path, $"not a video: {what}");
        }

        var rotation = video.Rotation;
        var sideways = Math.Abs(rotation) % 180 == 90;
        var fps = double.IsFinite(video.AverageFrameRate) && video.AverageFrameRate > 0 ? video.AverageFrameRate
            : double.IsFinite(video.RealFrameRate) && video.RealFrameRate > 0 ? video.RealFrameRate : 0;
        var audio = analysis.PrimaryAudioStream;
        return new MediaInfo(
            path,
            analysis.Duration,
            sideways ? video.Height.Value : video.Width.Value,
            sideways ? video.Width.Value : video.Height.Value,
            fps,
            rotation,
            video.CodecName ?? "unknown",
            audio is not null,
            audio?.SampleRateHz ?? 0,
            video.Duration > TimeSpan.Zero ? video.Duration : analysis.Duration);
    }

    /// <summary>
    /// A FIFO, device or socket (all report 0 bytes, and reading a FIFO would block), as coreutils' stat names it;
    /// null for a regular file. .NET does not expose the file type, so stat(1) is asked, only for 0-byte entries.
    /// </summary>
    private static string? SpecialFileKind(string path)
    {
        try
        {
            var stat = Processes.ExternalProgram.Run("stat", ["-L", "--format=%F", path], TimeSpan.FromSeconds(5));
            var kind = stat.Stdout.Trim();
            return stat.ExitCode == 0 && kind.Length > 0 && !kind.StartsWith("regular", StringComparison.Ordinal) ? kind : null;
        }
        catch (Processes.ProgramException)
        {
            return null;   // no stat(1), or it hung: the plain wording stands
        }
    }

    private static string FirstLine(Exception ex)
    {
        var text = ex.InnerException?.Message ?? ex.Message;
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        // ffprobe puts the useful cause ("Invalid data found when processing input") on the last line.
        var line = lines.Length == 0 ? ex.GetType().Name : lines[^1];
        // FFMpegCore wraps it as "ffprobe exited with non-zero exit-code (1 - <path>: <cause>)": the path is already
        // at the head of the message, so only the cause and the exit code are kept.
        var wrapped = System.Text.RegularExpressions.Regex.Match(line, @"^ffprobe exited with non-zero exit-code \((-?\d+) - (?:.*?: )?(.+)\)$");
        return wrapped.Success ? $"{wrapped.Groups[2].Value} (ffprobe exit code {wrapped.Groups[1].Value})" : line;
    }
}
