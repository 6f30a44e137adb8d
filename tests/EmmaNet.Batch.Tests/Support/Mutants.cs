using System.Globalization;

namespace EmmaNet.Batch.Tests.Support;

/// <summary>
/// A seeded mutational fuzzer for the readers of outside data: from one valid input, N mutants (bit flips, random
/// bytes written over a range, a range deleted, a range duplicated, a cut, an ASCII digit or character replaced), each
/// written to a file and given to the reader. A reader passes when every mutant is either read or rejected with one of
/// the exceptions it documents, whose message names the file; anything else is a crasher, reported with the mutant kept
/// for a regression test.
/// </summary>
public static class Mutants
{
    public static int Count(int fallback) => int.TryParse(Environment.GetEnvironmentVariable("EMMANET_FUZZ_INPUTS"), CultureInfo.InvariantCulture, out var n) ? n : fallback;

    public static byte[] Mutate(byte[] seed, Random random)
    {
        var data = seed.ToList();
        var edits = 1 + random.Next(4);
        for (var e = 0; e < edits && data.Count > 0; e++)
        {
            var at = random.Next(data.Count);
            var length = Math.Min(data.Count - at, 1 + random.Next(Math.Max(1, data.Count / 50)));
            switch (random.Next(7))
            {
                case 0:
                    data[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    for (var i = at; i < at + length; i++)
                    {
                        data[i] = (byte)random.Next(256);
                    }
                    break;
                case 2:
                    data.RemoveRange(at, length);
                    break;
                case 3:
                    data.InsertRange(at, data.GetRange(at, length));
                    break;
                case 4:
                    data.RemoveRange(at, data.Count - at);
                    break;
                case 5:
                    data[at] = (byte)"0123456789-.eE+"[random.Next(15)];
                    break;
                default:
                    data[at] = (byte)",\"{}[]:\n \t"[random.Next(10)];
                    break;
            }
        }
        return data.ToArray();
    }

    private static readonly string[] OddValues = ["0", "-1", "1e308", "-1e308", "NaN", "\"\"", "\"N/A\"", "\"0/0\"", "\"-1/0\"", "null", "true", "[]", "{}", "\"99999999999999999999\"", "\"1:00:00:00.5\"", "\"-00:00:01.000000\""];

    /// <summary>A JSON document with 1 to 4 leaf values replaced by odd ones (zero, negative, huge, empty, wrong type, "N/A"): mutants that still parse, so the code after the parser is reached.</summary>
    public static byte[] MutateJson(byte[] seed, Random random)
    {
        var root = System.Text.Json.Nodes.JsonNode.Parse(seed)!;
        var leaves = new List<(System.Text.Json.Nodes.JsonNode Parent, object Key)>();
        void Walk(System.Text.Json.Nodes.JsonNode node)
        {
            if (node is System.Text.Json.Nodes.JsonObject o)
            {
                foreach (var (k, v) in o.ToList())
                {
                    if (v is System.Text.Json.Nodes.JsonValue or null)
                    {
                        leaves.Add((o, k));
                    }
                    else
                    {
                        Walk(v);
                    }
                }
            }
            else if (node is System.Text.Json.Nodes.JsonArray a)
            {
                for (var i = 0; i < a.Count; i++)
                {
                    if (a[i] is System.Text.Json.Nodes.JsonValue or null)
                    {
                        leaves.Add((a, i));
                    }
                    else
                    {
                        Walk(a[i]!);
                    }
                }
            }
        }
        Walk(root);
        for (var e = 0; e < 1 + random.Next(4) && leaves.Count > 0; e++)
        {
            var (parent, key) = leaves[random.Next(leaves.Count)];
            var text = OddValues[random.Next(OddValues.Length)];
            var value = text == "NaN" ? System.Text.Json.Nodes.JsonValue.Create("NaN") : System.Text.Json.Nodes.JsonNode.Parse(text);
            if (parent is System.Text.Json.Nodes.JsonObject o)
            {
                o[(string)key] = value;
            }
            else
            {
                ((System.Text.Json.Nodes.JsonArray)parent)[(int)key] = value;
            }
        }
        return System.Text.Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    /// <summary>Mutant <paramref name="index"/> of a run with <paramref name="rngSeed"/>, replayed (a crasher's regression test).</summary>
    public static byte[] Nth(byte[] seed, int rngSeed, int index)
    {
        var random = new Random(rngSeed);
        for (var i = 0; i < index; i++)
        {
            Mutate(seed, random);
        }
        return Mutate(seed, random);
    }

    /// <summary>Runs <paramref name="read"/> on <paramref name="count"/> mutants of <paramref name="seed"/> written as <paramref name="fileName"/>; returns (read, rejected, crashers).</summary>
    public static async Task<(int Read, int Rejected, List<string> Crashers)> RunAsync(byte[] seed, string fileName, int count, int rngSeed, Func<string, Task> read, Func<Exception, bool> documented, Action<string>? prepare = null)
    {
        using var folder = new TempFolder();
        var random = new Random(rngSeed);
        var (ok, rejected) = (0, 0);
        var crashers = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var dir = Directory.CreateDirectory(Path.Combine(folder.Path, i.ToString(CultureInfo.InvariantCulture))).FullName;
            prepare?.Invoke(dir);
            var path = Path.Combine(dir, fileName);
            File.WriteAllBytes(path, Mutate(seed, random));
            try
            {
                await read(path);
                ok++;
            }
            catch (Exception ex) when (documented(ex) && ex.Message.Contains(dir, StringComparison.Ordinal))
            {
                rejected++;
            }
            catch (Exception ex)
            {
                var keep = Path.Combine(Path.GetTempPath(), $"emmanet-crasher-{rngSeed}-{i}-{fileName}");
                File.Copy(path, keep, overwrite: true);
                crashers.Add($"mutant {i} (kept at {keep}): {ex.GetType().Name}: {ex.Message.Split('\n')[0]}");
            }
        }
        return (ok, rejected, crashers);
    }
}
