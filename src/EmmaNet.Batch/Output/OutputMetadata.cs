using System.Globalization;
using System.Reflection;
using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Models;

namespace EmmaNet.Batch.Output;

/// <summary>The Parquet key-value metadata every output carries: tool version, input, models and where they ran.</summary>
public static class OutputMetadata
{
    public const string Prefix = "emmanet.";


    public static Dictionary<string, string> For(string schema, string videoId, MediaInfo media, IEnumerable<(string Role, ModelIdentity Model)> models)
    {
        var inv = CultureInfo.InvariantCulture;
        var metadata = new Dictionary<string, string>
        {
            [Prefix + "tool_version"] = Tool.Version,
            [Prefix + "schema"] = schema,
            [Prefix + "video_id"] = videoId,
            [Prefix + "video_path"] = media.Path,
            [Prefix + "video_duration_s"] = media.Duration.TotalSeconds.ToString("R", inv),
            [Prefix + "video_width"] = media.Width.ToString(inv),
            [Prefix + "video_height"] = media.Height.ToString(inv),
            [Prefix + "video_rotation"] = media.Rotation.ToString(inv),
            [Prefix + "video_frame_rate"] = media.FrameRate.ToString("R", inv),
            [Prefix + "video_has_audio"] = media.HasAudio ? "true" : "false",
        };
        var providers = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (role, model) in models)
        {
            metadata[$"{Prefix}model.{role}.id"] = model.Id;
            metadata[$"{Prefix}model.{role}.file"] = model.FileName;
            metadata[$"{Prefix}model.{role}.sha256"] = model.Sha256;
            metadata[$"{Prefix}model.{role}.execution_provider"] = model.ExecutionProvider;
            providers.Add(model.ExecutionProvider);
        }
        metadata[Prefix + "execution_provider"] = string.Join(",", providers);
        return metadata;
    }
}
