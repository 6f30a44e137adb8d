using System.Text.Json;
using System.Text;
using EmmaNet.Batch.Files;
using EmmaNet.Batch.Output;

namespace EmmaNet.Batch.Fusion;

/// <summary>
/// The whole state of a training run after a finished epoch: values, AdamW moments and step, learning rate, the
/// early-stopping counters, the best epoch's values and the history, with the identity of the run (settings and data)
/// it belongs to. Written atomically after every epoch; <c>--resume</c> continues from it and refuses one whose
/// identity differs. Layout: "EMMACKPT", version, a JSON header, then four float32 vectors.
/// </summary>
public sealed class TrainingCheckpoint
{
    private static readonly byte[] Magic = "EMMACKPT"u8.ToArray();
    private const int Version = 1;
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>What the run was: settings and data, key by key (a mismatch names the key).</summary>
    public required SortedDictionary<string, string> Identity { get; init; }

    public required int Epoch { get; init; }

    public required bool Finished { get; init; }

    public required double LearningRate { get; init; }

    public required int OptimizerSteps { get; init; }

    public required double Best { get; init; }

    public required int SinceBest { get; init; }

    public required int SinceDecay { get; init; }

    public required List<EpochReport> History { get; init; }

    public required float[] Values { get; init; }

    public required float[] M { get; init; }

    public required float[] V { get; init; }

    public required float[] BestValues { get; init; }

    public void Save(string path)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(Version);
            writer.Write(JsonSerializer.Serialize(new Header(Identity, Epoch, Finished, LearningRate, OptimizerSteps, Best, SinceBest, SinceDecay, History), Json));
            foreach (var vector in new[] { Values, M, V, BestValues })
            {
                writer.Write(vector.Length);
                writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector.AsSpan()));
            }
        }
        AtomicFile.WriteAllBytesAsync(path, buffer.ToArray(), CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <summary>Reads a checkpoint; a damaged or foreign file is an error naming it.</summary>
    public static TrainingCheckpoint Load(string path)
    {
        try
        {
            using var reader = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
            if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic) || reader.ReadInt32() != Version)
            {
                throw new InvalidDataException($"{path}: not an EmmaNet.Batch training checkpoint (version {Version})");
            }
            var header = JsonSerializer.Deserialize<Header>(reader.ReadString(), Json) ?? throw new InvalidDataException($"{path}: empty checkpoint header");
            var vectors = new float[4][];
            for (var i = 0; i < 4; i++)
            {
                var count = reader.ReadInt32();
                if (count < 0 || (long)count * sizeof(float) > reader.BaseStream.Length - reader.BaseStream.Position)
                {
                    throw new InvalidDataException($"{path}: damaged checkpoint (a vector of {count} values where {reader.BaseStream.Length - reader.BaseStream.Position} bytes remain)");
                }
                vectors[i] = new float[count];
                var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(vectors[i].AsSpan());
                if (reader.Read(bytes) != bytes.Length)
                {
                    throw new InvalidDataException($"{path}: truncated checkpoint");
                }
            }
            return new TrainingCheckpoint
            {
                Identity = header.Identity, Epoch = header.Epoch, Finished = header.Finished, LearningRate = header.LearningRate, OptimizerSteps = header.OptimizerSteps,
                Best = header.Best, SinceBest = header.SinceBest, SinceDecay = header.SinceDecay, History = header.History,
                Values = vectors[0], M = vectors[1], V = vectors[2], BestValues = vectors[3],
            };
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{path}: truncated checkpoint");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: unreadable checkpoint header ({ex.Message})");
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or NullReferenceException)
        {
            throw new InvalidDataException($"{path}: damaged checkpoint ({ex.GetType().Name}: {ex.Message})");
        }
    }

    /// <summary>The first key whose value differs between two identities, described; null when they agree.</summary>
    public static string? Mismatch(IReadOnlyDictionary<string, string> saved, IReadOnlyDictionary<string, string> now)
    {
        foreach (var key in saved.Keys.Union(now.Keys).Order(StringComparer.Ordinal))
        {
            var (a, b) = (saved.GetValueOrDefault(key, "(none)"), now.GetValueOrDefault(key, "(none)"));
            if (a != b)
            {
                return $"{key} was {a}, now {b}";
            }
        }
        return null;
    }

    private sealed record Header(SortedDictionary<string, string> Identity, int Epoch, bool Finished, double LearningRate, int OptimizerSteps, double Best, int SinceBest, int SinceDecay, List<EpochReport> History);
}
