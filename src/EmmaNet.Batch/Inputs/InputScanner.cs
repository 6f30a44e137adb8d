using System.Security.Cryptography;
using System.Text;

namespace EmmaNet.Batch.Inputs;

/// <summary>
/// Expands the command line's files and folders into the videos to analyse.
/// Folders are searched recursively for known video extensions without following directory links
/// (a symlink loop cannot trap the scan); files named explicitly are always taken, whatever their extension,
/// so that a mislabelled video is still probed and reported by content.
/// </summary>
public static class InputScanner
{
    public static readonly IReadOnlySet<string> VideoExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv", ".ts", ".mts", ".3gp",
    };

    /// <summary>Returns the videos and, separately, the arguments that name nothing that exists.</summary>
    public static (IReadOnlyList<VideoInput> Videos, IReadOnlyList<string> Missing) Scan(IEnumerable<string> arguments)
    {
        var files = new List<string>();
        var missing = new List<string>();
        foreach (var arg in arguments)
        {
            var full = Path.GetFullPath(arg);
            if (File.Exists(full))
            {
                files.Add(full);
            }
            else if (Directory.Exists(full))
            {
                files.AddRange(VideosUnder(full).Order(StringComparer.Ordinal));
            }
            else
            {
                missing.Add(arg);
            }
        }

        var distinct = files.Distinct(StringComparer.Ordinal).ToList();
        return (AssignIds(distinct), missing);
    }

    /// <summary>Video files under a folder, recursively; linked folders are not entered (no loops), linked files are taken.</summary>
    private static IEnumerable<string> VideosUnder(string folder)
    {
        var options = new EnumerationOptions { IgnoreInaccessible = true, AttributesToSkip = FileAttributes.Hidden };
        var pending = new Stack<string>([folder]);
        while (pending.TryPop(out var dir))
        {
            foreach (var file in Directory.EnumerateFiles(dir, "*", options))
            {
                if (VideoExtensions.Contains(Path.GetExtension(file)))
                {
                    yield return file;
                }
            }
            foreach (var sub in Directory.EnumerateDirectories(dir, "*", options))
            {
                if (new DirectoryInfo(sub).LinkTarget is null)
                {
                    pending.Push(sub);
                }
            }
        }
    }

    /// <summary>
    /// The video id is the file name without extension (what ABAW annotation files are named after).
    /// When two inputs share a name, the output stem gets a short hash of the full path so outputs never collide.
    /// </summary>
    private static List<VideoInput> AssignIds(List<string> paths)
    {
        var stemCounts = paths.GroupBy(p => SafeStem(p), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return paths.Select(p =>
        {
            var id = Path.GetFileNameWithoutExtension(p);
            var stem = SafeStem(p);
            if (stemCounts[stem] > 1)
            {
                stem += "-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(p)))[..8];
            }
            return new VideoInput(p, id, stem);
        }).ToList();
    }

    /// <summary>A file-system-safe output stem: letters, digits, '-', '_' and '.' kept, anything else replaced, never starting with '.' or '-'.</summary>
    public static string SafeStem(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        var sb = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_');
        }
        var stem = sb.ToString().TrimStart('.', '-');
        return stem.Length == 0 ? "video" : stem;
    }
}
