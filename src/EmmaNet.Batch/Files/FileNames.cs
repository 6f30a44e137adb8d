using System.Text;

namespace EmmaNet.Batch.Files;

/// <summary>File-name lengths in bytes, as file systems count them (255 bytes a name on ext4, XFS, btrfs).</summary>
public static class FileNames
{
    /// <summary>The longest prefix of <paramref name="text"/> of whole characters that fits in <paramref name="maxBytes"/> bytes of UTF-8.</summary>
    public static string CutToBytes(string text, int maxBytes)
    {
        var kept = new StringBuilder();
        var used = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (used + rune.Utf8SequenceLength > maxBytes)
            {
                break;
            }
            kept.Append(rune.ToString());
            used += rune.Utf8SequenceLength;
        }
        return kept.ToString();
    }
}
