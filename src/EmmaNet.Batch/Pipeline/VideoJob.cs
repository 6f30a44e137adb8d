using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Inputs;

namespace EmmaNet.Batch.Pipeline;

/// <summary>One video as it moves through the pipeline.</summary>
public sealed class VideoJob(VideoInput input, string outputPath)
{
    public VideoInput Input { get; } = input;

    public string OutputPath { get; } = outputPath;

    /// <summary>What the input was when the run looked at it (taken before the video is queued; on first use otherwise).</summary>
    public InputFingerprint Fingerprint
    {
        get => field ??= InputFingerprint.Of(Input.Path);
        set;
    }

    /// <summary>Why existing outputs of this input were not trusted and it is analysed again (null: none existed).</summary>
    public string? RedoReason { get; set; }

    /// <summary>Set once the video is probed.</summary>
    public MediaInfo? Media { get; set; }

    /// <summary>All frames of the video, known when decoding ends.</summary>
    public long DecodedFrames { get; set; }

    public long ProcessedFrames { get; set; }

    /// <summary>Faces detected in the processed frames.</summary>
    public long Faces { get; set; }

    /// <summary>Seconds of audio the stream held (null when the video has none or the voice was not read).</summary>
    public double? AudioSeconds { get; set; }

    /// <summary>Presentation time of the last frame that reached analysis, in seconds.</summary>
    public double LastFrameTime { get; set; }

    /// <summary>The furthest byte of the file a decoded frame came from (-1: unknown), known when decoding ends.</summary>
    public long LastBytePosition { get; set; } = -1;

    /// <summary>Seconds of video decoded and promised by the container, when decoding ended well short of the promise.</summary>
    public (double Decoded, double Promised)? Partial { get; set; }

    /// <summary>Bytes of the file after the last decoded frame, when that is well more than a container's trailing index.</summary>
    public (long Unread, long Size)? Undecoded { get; set; }

    /// <summary>Adds to an output's metadata whether it covers only part of what the container promised, and how much.</summary>
    public void AddCompletenessTo(IDictionary<string, string> metadata)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        metadata[Output.OutputMetadata.Prefix + "input.partial"] = Partial is null && Undecoded is null ? "false" : "true";
        if (Partial is { } p)
        {
            metadata[Output.OutputMetadata.Prefix + "input.decoded_s"] = p.Decoded.ToString("F2", inv);
            metadata[Output.OutputMetadata.Prefix + "input.promised_s"] = p.Promised.ToString("F2", inv);
        }
        if (Undecoded is { } u)
        {
            metadata[Output.OutputMetadata.Prefix + "input.undecoded_bytes"] = u.Unread.ToString(inv);
            metadata[Output.OutputMetadata.Prefix + "input.size_bytes"] = u.Size.ToString(inv);
        }
    }

    public List<string> Warnings { get; } = new();

    /// <summary>Seconds decoded: the decoded frames at the average rate, or the last analysed frame's time plus one face-stream interval.</summary>
    public double DecodedSeconds =>
        Media is { FrameRate: > 0 } media
            ? Math.Max(DecodedFrames / media.FrameRate, LastFrameTime)
            : LastFrameTime + (1 / FrameSampling.FaceStream.RateHz);

    /// <summary>The video's timeline: what the container promises, or what was decoded where that is longer.</summary>
    public double TimelineSeconds => Math.Max(Media!.VideoDuration.TotalSeconds, DecodedSeconds);
}

public enum VideoStatus
{
    Done,
    Skipped,
    Failed,
}

/// <summary>How one video ended. <see cref="Message"/> is one line naming the file and the cause when it failed; <see cref="Summary"/> says what features were written.</summary>
public sealed record VideoOutcome(VideoInput Input, VideoStatus Status, string? OutputPath, string? Message, IReadOnlyList<string> Warnings, long ProcessedFrames, long Faces, string? Summary = null)
{
    /// <summary>Seconds of video decoded (0 when not analysed): what the run's "s per minute of video" divides by.</summary>
    public double VideoSeconds { get; init; }

    /// <summary>How the fusion network's attention behaved on this video (analyze with fusion only).</summary>
    public IReadOnlyList<Fusion.ModalityAttention>? Attention { get; init; }
}
