using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text;
using EmmaNet.Batch.Onnx;

namespace EmmaNet.Batch.Models.Conversion;

/// <summary>A TensorFlow.js node: a GraphDef node as JSON (FORMATS.md section 6).</summary>
public sealed record TfjsNode(string Name, string Op, IReadOnlyList<string> Inputs, JsonElement Attributes)
{
    private JsonElement? Attr(string key) => Attributes.ValueKind == JsonValueKind.Object && Attributes.TryGetProperty(key, out var a) ? a : null;

    /// <summary>String attributes are base64 in the JSON.</summary>
    public string? String(string key) => Attr(key) is { } a && a.TryGetProperty("s", out var s) ? Encoding.UTF8.GetString(Convert.FromBase64String(s.GetString()!)) : null;

    public IReadOnlyList<string> Strings(string key) =>
        Attr(key) is { } a && a.TryGetProperty("list", out var l) && l.TryGetProperty("s", out var s)
            ? s.EnumerateArray().Select(x => Encoding.UTF8.GetString(Convert.FromBase64String(x.GetString()!))).ToList()
            : [];

    /// <summary>Integer lists come as strings in the JSON.</summary>
    public long[]? Ints(string key) =>
        Attr(key) is { } a && a.TryGetProperty("list", out var l) && l.TryGetProperty("i", out var i)
            ? i.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? long.Parse(x.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : x.GetInt64()).ToArray()
            : null;

    public bool? Bool(string key) => Attr(key) is { } a && a.TryGetProperty("b", out var b) ? b.GetBoolean() : null;

    public float? Float(string key) => Attr(key) is { } a && a.TryGetProperty("f", out var f) ? f.GetSingle() : null;

    /// <summary>A Placeholder's shape, -1 for unknown dimensions.</summary>
    public long[]? Shape(string key) =>
        Attr(key) is { } a && a.TryGetProperty("shape", out var s) && s.TryGetProperty("dim", out var dims)
            ? dims.EnumerateArray().Select(d => d.TryGetProperty("size", out var size) ? long.Parse(size.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : -1).ToArray()
            : null;
}

/// <summary>A weight of the manifest, decoded to float (or int32 for integer constants such as axes).</summary>
public sealed record TfjsWeight(string Name, long[] Shape, float[]? Floats, int[]? Ints)
{
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// A TensorFlow.js graph model read from disk: <c>model.json</c> (<c>format: "graph-model"</c>, <c>modelTopology.node</c>,
/// <c>weightsManifest</c>) and its weight shards. Each manifest group's shards are concatenated and its weights lie back
/// to back in the listed order; quantised weights decode as q * scale + min, float16 as half.
/// </summary>
public sealed class TfjsGraphModel
{
    /// <summary>A graph written out in code (for weights whose architecture lives in a library's source, such as face-api's).</summary>
    public TfjsGraphModel(string path, IReadOnlyList<TfjsNode> nodes, IReadOnlyDictionary<string, TfjsWeight> weights)
    {
        Path = path;
        Nodes = nodes;
        Weights = weights;
    }

    public string Path { get; }

    public IReadOnlyList<TfjsNode> Nodes { get; }

    public IReadOnlyDictionary<string, TfjsWeight> Weights { get; }

    /// <summary>The shard files a model.json (or a bare weights manifest, a JSON array of groups) names, relative to its folder.</summary>
    public static IReadOnlyList<string> ShardPaths(string jsonPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(jsonPath));
        return Groups(doc.RootElement).EnumerateArray()
            .SelectMany(g => g.GetProperty("paths").EnumerateArray().Select(p => p.GetString()!)).ToList();
    }

    private static JsonElement Groups(JsonElement root) => root.ValueKind == JsonValueKind.Array ? root : root.GetProperty("weightsManifest");

    /// <summary>Reads a bare weights manifest (face-api's <c>*-weights_manifest.json</c>: the groups without a graph) and its shards.</summary>
    public static IReadOnlyDictionary<string, TfjsWeight> LoadWeights(string manifestPath)
    {
        try
        {
            using var doc = ParseOrExplain(manifestPath);
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new ModelException($"{manifestPath}: not a weights manifest (a JSON array of weight groups)");
            }
            return ReadWeights(manifestPath, doc.RootElement);
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            throw new ModelException($"{manifestPath}: malformed weights manifest ({ex.Message})", ex);
        }
    }

    /// <summary>Reads a model.json and its weight shards; anything malformed is a <see cref="ModelException"/> naming the file and what is wrong.</summary>
    public static TfjsGraphModel Load(string jsonPath)
    {
        try
        {
            return Read(jsonPath);
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            // A property missing or of the wrong JSON type (GetProperty/GetString/GetInt32 say which), a bad number.
            throw new ModelException($"{jsonPath}: malformed TF.js graph model ({ex.Message})", ex);
        }
    }

    private static TfjsGraphModel Read(string jsonPath)
    {
        using var doc = ParseOrExplain(jsonPath);
        var root = doc.RootElement;
        if (!root.TryGetProperty("format", out var format) || format.GetString() != "graph-model")
        {
            throw new ModelException($"{jsonPath}: not a TF.js graph model (format is not \"graph-model\")");
        }
        var nodes = root.GetProperty("modelTopology").GetProperty("node").EnumerateArray().Select(n => new TfjsNode(
            n.GetProperty("name").GetString()!,
            n.GetProperty("op").GetString()!,
            n.TryGetProperty("input", out var inputs) ? inputs.EnumerateArray().Select(i => i.GetString()!).Where(i => !i.StartsWith('^')).ToList() : [],
            n.TryGetProperty("attr", out var attr) ? attr.Clone() : default)).ToList();

        return new TfjsGraphModel(jsonPath, nodes, ReadWeights(jsonPath, root.GetProperty("weightsManifest")));
    }

    private static Dictionary<string, TfjsWeight> ReadWeights(string jsonPath, JsonElement groups)
    {
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(jsonPath))!;
        var weights = new Dictionary<string, TfjsWeight>(StringComparer.Ordinal);
        foreach (var group in groups.EnumerateArray())
        {
            var data = ReadShards(jsonPath, folder, group.GetProperty("paths").EnumerateArray().Select(p => p.GetString()!));
            var offset = 0;
            foreach (var spec in group.GetProperty("weights").EnumerateArray())
            {
                var weight = Decode(jsonPath, spec, data, ref offset);
                weights[weight.Name] = weight;
            }
            if (offset != data.Length)
            {
                throw new ModelException($"{jsonPath}: weight shards hold {data.Length} bytes, the manifest describes {offset}");
            }
        }
        return weights;
    }

    private static JsonDocument ParseOrExplain(string jsonPath)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllText(jsonPath));
        }
        catch (JsonException ex)
        {
            throw new ModelException($"{jsonPath}: invalid JSON: {ex.Message}", ex);
        }
    }

    private static byte[] ReadShards(string jsonPath, string folder, IEnumerable<string> paths)
    {
        using var all = new MemoryStream();
        foreach (var shard in paths)
        {
            var file = System.IO.Path.Combine(folder, shard);
            if (!File.Exists(file))
            {
                throw new ModelException($"{jsonPath}: weight shard {shard} is missing");
            }
            using var s = File.OpenRead(file);
            s.CopyTo(all);
        }
        return all.ToArray();
    }

    private static TfjsWeight Decode(string jsonPath, JsonElement spec, byte[] data, ref int offset)
    {
        var name = spec.GetProperty("name").GetString()!;
        var dtype = spec.GetProperty("dtype").GetString()!;
        var shape = spec.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
        var count = (int)shape.Aggregate(1L, (a, b) => a * b);
        string stored = dtype;
        float scale = 1, min = 0;
        if (spec.TryGetProperty("quantization", out var q))
        {
            stored = q.GetProperty("dtype").GetString()!;
            if (q.TryGetProperty("scale", out var sc))
            {
                scale = sc.GetSingle();
            }
            if (q.TryGetProperty("min", out var mn))
            {
                min = mn.GetSingle();
            }
        }
        var bytesPer = stored switch
        {
            "float32" or "int32" => 4,
            "uint16" or "float16" => 2,
            "uint8" => 1,
            _ => throw new ModelException($"{jsonPath}: weight '{name}' has unsupported dtype '{stored}'"),
        };
        var length = count * bytesPer;
        if (offset + length > data.Length)
        {
            throw new ModelException($"{jsonPath}: weight shards end inside weight '{name}' (corrupted or truncated shard)");
        }
        var bytes = data.AsSpan(offset, length);
        offset += length;
        if (dtype == "int32" && stored == "int32")
        {
            return new TfjsWeight(name, shape, null, MemoryMarshal.Cast<byte, int>(bytes).ToArray());
        }
        var values = stored switch
        {
            "float32" => MemoryMarshal.Cast<byte, float>(bytes).ToArray(),
            "float16" => MemoryMarshal.Cast<byte, Half>(bytes).ToArray().Select(h => (float)h).ToArray(),
            "uint16" => MemoryMarshal.Cast<byte, ushort>(bytes).ToArray().Select(v => v * scale + min).ToArray(),
            "uint8" => bytes.ToArray().Select(v => v * scale + min).ToArray(),
            _ => MemoryMarshal.Cast<byte, int>(bytes).ToArray().Select(v => (float)v).ToArray(),
        };
        return dtype == "int32"
            ? new TfjsWeight(name, shape, null, values.Select(v => (int)MathF.Round(v)).ToArray())
            : new TfjsWeight(name, shape, values, null);
    }
}
