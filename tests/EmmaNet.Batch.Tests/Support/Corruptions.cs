using System.Globalization;

namespace EmmaNet.Batch.Tests.Support;

/// <summary>
/// Deterministic corrupted copies of sample media (seeded): random byte flips, a zeroed block, a cut, damage in the
/// first 4 KiB, a duplicated chunk, a reordered pair of chunks, and timestamps rewritten by ffmpeg's <c>setts</c>
/// bitstream filter so that they repeat or go backwards (from the first source, which must be MP4). File names say the
/// kind, for the failure report.
/// </summary>
public static class Corruptions
{
    public static readonly string[] Kinds = ["flips", "zeroed", "cut", "header", "duplicated", "reordered", "ts-repeat", "ts-backward"];

    public static List<string> Make(IReadOnlyList<string> sources, int count, int seed, string folder)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(seed);
        var made = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var source = sources[i % sources.Count];
            var kind = Kinds[(i / sources.Count) % Kinds.Length];
            var path = Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"c{i:0000}-{kind}{Path.GetExtension(source)}"));
            if (kind.StartsWith("ts-", StringComparison.Ordinal))
            {
                // From the first (MP4) source into MP4: its fine time base takes any rewritten value, where AVI's
                // frame-count timestamps make the muxer refuse gaps.
                source = sources[0];
                path = Path.ChangeExtension(path, ".mp4");
                // Timestamps that repeat (truncated to a coarse grid) or jump back by a second after frame 20.
                var expression = kind == "ts-repeat" ? "trunc(PTS/3000)*3000" : $"if(gt(N\\,{10 + random.Next(20)})\\,PTS-{1000 + random.Next(3000)}\\,PTS)";
                GeneratedClips.Run("ffmpeg", $"-v error -y -i \"{source}\" -map 0:v -c copy -bsf:v \"setts=ts={expression}\" \"{path}\"");
                made.Add(path);
                continue;
            }
            var data = File.ReadAllBytes(source).ToList();
            var n = data.Count;
            switch (kind)
            {
                case "flips":
                    for (var k = 0; k < 20 + random.Next(60); k++)
                    {
                        var at = random.Next(n);
                        data[at] ^= (byte)(1 << random.Next(8));
                    }
                    break;
                case "zeroed":
                    var start = random.Next(n - 40_000);
                    for (var k = start; k < start + 4_000 + random.Next(30_000); k++)
                    {
                        data[k] = 0;
                    }
                    break;
                case "cut":
                    data = data.Take(random.Next(n / 5, n)).ToList();
                    break;
                case "header":
                    for (var k = 0; k < 8 + random.Next(24); k++)
                    {
                        data[random.Next(4096)] ^= 0xff;
                    }
                    break;
                case "duplicated":
                    var from = random.Next(n - 50_000);
                    data.InsertRange(from + 30_000, data.GetRange(from, 10_000 + random.Next(20_000)));
                    break;
                default:
                    var a = random.Next(n / 2 - 40_000);
                    var b = random.Next(n / 2, n - 40_000);
                    var length = 5_000 + random.Next(30_000);
                    var first = data.GetRange(a, length);
                    var second = data.GetRange(b, length);
                    data.RemoveRange(b, length);
                    data.InsertRange(b, first);
                    data.RemoveRange(a, length);
                    data.InsertRange(a, second);
                    break;
            }
            File.WriteAllBytes(path, data.ToArray());
            made.Add(path);
        }
        return made;
    }
}
