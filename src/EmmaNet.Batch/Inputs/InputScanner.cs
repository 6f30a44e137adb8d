using System.Security.Cryptography;
using System.Text;
using EmmaNet.Batch.Files;

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
        var (videos, missing, _) = ScanWithNotes(arguments);
        return (videos, missing);
    }

    /// <summary>
    /// <see cref="Scan"/>, plus a line for each thing the scan passed over that a user would want to hear of: a
    /// folder it could not read, a folder named on the command line that holds no videos.
    /// </summary>
    public static (IReadOnlyList<VideoInput> Videos, IReadOnlyList<string> Missing, IReadOnlyList<string> Notes) ScanWithNotes(IEnumerable<string> arguments)
    {
        var files = new List<string>();
        var missing = new List<string>();
        var notes = new List<string>();
        foreach (var arg in arguments)
        {
            var full = Path.GetFullPath(arg);
            if (File.Exists(full))
            {
                files.Add(full);
            }
            else if (Directory.Exists(full))
            {
                var found = VideosUnder(full, notes).Order(StringComparer.Ordinal).ToList();
                if (found.Count == 0)
                {
                    notes.Add($"{full}: a folder with no video files in it ({string.Join(", ", VideoExtensions.Order(StringComparer.Ordinal))})");
                }
                files.AddRange(found);
            }
            else
            {
                missing.Add(arg);
            }
        }

        var distinct = files.Distinct(StringComparer.Ordinal).ToList();
        return (AssignIds(distinct), missing, notes);
    }

    /// <summary>Video files under a folder, recursively; linked folders are not entered (no loops), linked files are taken.</summary>
    private static List<string> VideosUnder(string folder, List<string> notes)
    {
        var options = new EnumerationOptions { IgnoreInaccessible = false, AttributesToSkip = FileAttributes.Hidden };
        var pending = new Stack<string>([folder]);
        var videos = new List<string>();
        while (pending.TryPop(out var dir))
        {
            try
            {
                videos.AddRange(Directory.EnumerateFiles(dir, "*", options).Where(f => VideoExtensions.Contains(Path.GetExtension(f))));
                foreach (var sub in Directory.EnumerateDirectories(dir, "*", options))
                {
                    if (new DirectoryInfo(sub).LinkTarget is null)
                    {
                        pending.Push(sub);
                    }
                }
            }
            catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
            {
                notes.Add($"{dir}: cannot read this folder ({ex.Message.Split('\n')[0]}); videos in it are not analysed");
            }
        }
        return videos;
    }

    /// <summary>
    /// The video id is the file name without extension (what ABAW annotation files are named after). Output stems
    /// start readable (<see cref="SafeStem"/>); OutputNames (in Output) gives a short hash of the path to
    /// any input whose readable stem another input holds, in this run or in the output folder.
    /// </summary>
    private static List<VideoInput> AssignIds(List<string> paths) =>
        paths.Select(p => new VideoInput(p, Path.GetFileNameWithoutExtension(p), SafeStem(p))).ToList();

    /// <summary>The stem with a short hash of the input's full path: unique and the same in every run.</summary>
    public static string HashedStem(string stem, string path) =>
        stem + "-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(path))))[..8];

    // Output names are the stem plus suffixes and a temp name's extras (about 70 bytes at most): a stem of at most
    // 150 bytes keeps every name under the usual 255-byte limit.
    private const int MaxStemBytes = 150;

    /// <summary>
    /// A file-system-safe output stem: letters and digits of any script, '-', '_' and '.' kept, anything else replaced,
    /// never starting with '.' or '-'. A name with nothing readable left, or longer than 150 bytes, is shortened and
    /// gets a short hash of the path, so such names never collide.
    /// </summary>
    public static string SafeStem(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        var sb = new StringBuilder(name.Length);
        foreach (var rune in name.EnumerateRunes())
        {
            if (Rune.IsLetterOrDigit(rune) || rune.Value is '-' or '_' or '.')
            {
                sb.Append(rune.ToString());
            }
            else
            {
                sb.Append('_');
            }
        }
        var stem = sb.ToString().TrimStart('.', '-');
        if (!stem.EnumerateRunes().Any(Rune.IsLetterOrDigit))
        {
            return HashedStem("video", path);
        }
        if (Encoding.UTF8.GetByteCount(stem) <= MaxStemBytes)
        {
            return stem;
        }
        return HashedStem(FileNames.CutToBytes(stem, MaxStemBytes - 9), path);   // 9: "-" and the hash
    }
}
