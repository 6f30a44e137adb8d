using System.Text.Json;
using System.Text;
using EmmaNet.Batch.Onnx;

namespace EmmaNet.Batch.Models.Conversion;

/// <summary>
/// face-api's FaceExpressionNet written out as TF.js graph nodes, so the TF.js importer converts it. face-api ships
/// only a weights manifest; the architecture is in its source (facts taken from it): input 112x112 RGB in 0..255,
/// minus the mean RGB (122.782, 117.001, 104.298), divided by 255; four dense blocks of 32, 64, 128, 256 channels,
/// each halving the size (the first opens with a plain 3x3 convolution, the others with a separable one), where block
/// output = relu(out1 + out2 + out3 + out4), out(k+1) = separable(relu(out1 + ... + outk)); a 7x7 average pool with
/// stride 2 (the 256-d embedding); a fully connected layer to 7 classes and softmax. All convolutions are SAME padded.
/// </summary>
public static class FaceApiExpressionNet
{
    public const int InputSize = 112;

    /// <summary>face-api's class order (FACE_EXPRESSION_LABELS).</summary>
    public static readonly string[] ClassNames = ["neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised"];

    public const string EmbeddingNode = "features";

    public const string ProbabilitiesNode = "probabilities";

    private static readonly float[] MeanRgb = [122.782f, 117.001f, 104.298f];

    public static TfjsGraphModel Load(string manifestPath)
    {
        var graph = new Graph(manifestPath, new Dictionary<string, TfjsWeight>(TfjsGraphModel.LoadWeights(manifestPath), StringComparer.Ordinal));
        var x = graph.Placeholder("input", [-1, InputSize, InputSize, 3]);
        x = graph.Node("Sub", "centred", [x, graph.Constant("mean_rgb", MeanRgb, [3])]);
        x = graph.Node("RealDiv", "scaled", [x, graph.Constant("pixel_range", [255f], [])]);
        x = DenseBlock(graph, "dense0", x, first: true);
        x = DenseBlock(graph, "dense1", x, first: false);
        x = DenseBlock(graph, "dense2", x, first: false);
        x = DenseBlock(graph, "dense3", x, first: false);
        x = graph.Node("AvgPool", EmbeddingNode, [x], Attributes(("ksize", Ints(1, 7, 7, 1)), ("strides", Ints(1, 2, 2, 1)), ("padding", Text("VALID"))));
        // The fully connected layer as a 1x1 convolution on the 1x1 embedding: [256, 7] is already HWIO with H = W = 1.
        var fc = graph.Weight("fc/weights");
        var filter = graph.Constant("fc/filters", fc.Floats!, [1, 1, fc.Shape[0], fc.Shape[1]]);
        x = graph.Node("Conv2D", "fc/conv", [x, filter], Attributes(("strides", Ints(1, 1, 1, 1)), ("padding", Text("VALID"))));
        x = graph.Node("BiasAdd", "fc/logits", [x, graph.Existing("fc/bias")]);
        x = graph.Node("Reshape", "fc/flat", [x, graph.IntConstant("fc/shape", [-1, ClassNames.Length])]);
        graph.Node("Softmax", ProbabilitiesNode, [x]);
        graph.CheckAllWeightsUsed();
        return graph.Build();
    }

    private static string DenseBlock(Graph g, string prefix, string x, bool first)
    {
        var opening = first
            ? g.Node("BiasAdd", $"{prefix}/conv0/biased", [Conv(g, $"{prefix}/conv0", x, g.Existing($"{prefix}/conv0/filters"), 2), g.Existing($"{prefix}/conv0/bias")])
            : Separable(g, $"{prefix}/conv0", x, 2);
        var outs = new List<string> { g.Node("Relu", $"{prefix}/out1", [opening]) };
        for (var k = 1; k <= 3; k++)
        {
            var input = k == 1 ? outs[0] : g.Node("Relu", $"{prefix}/in{k + 1}", [Sum(g, $"{prefix}/sum{k + 1}", outs)]);
            outs.Add(Separable(g, $"{prefix}/conv{k}", input, 1));
        }
        return g.Node("Relu", $"{prefix}/out", [Sum(g, $"{prefix}/sum", outs)]);
    }

    /// <summary>out1 + (out2 + (out3 + ...)), the order face-api adds in.</summary>
    private static string Sum(Graph g, string name, List<string> parts)
    {
        var sum = parts[^1];
        for (var i = parts.Count - 2; i >= 0; i--)
        {
            sum = g.Node("AddV2", $"{name}/{i}", [parts[i], sum]);
        }
        return sum;
    }

    private static string Separable(Graph g, string prefix, string x, int stride)
    {
        var depthwise = g.Node("DepthwiseConv2dNative", $"{prefix}/depthwise", [x, g.Existing($"{prefix}/depthwise_filter")],
            Attributes(("strides", Ints(1, stride, stride, 1)), ("padding", Text("SAME"))));
        var pointwise = Conv(g, $"{prefix}/pointwise", depthwise, g.Existing($"{prefix}/pointwise_filter"), 1);
        return g.Node("BiasAdd", $"{prefix}/biased", [pointwise, g.Existing($"{prefix}/bias")]);
    }

    private static string Conv(Graph g, string name, string x, string filter, int stride) =>
        g.Node("Conv2D", name, [x, filter], Attributes(("strides", Ints(1, stride, stride, 1)), ("padding", Text("SAME"))));

    private static object Ints(params long[] values) => new { list = new { i = values.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray() } };

    private static object Text(string value) => new { s = Convert.ToBase64String(Encoding.UTF8.GetBytes(value)) };

    private static JsonElement Attributes(params (string Key, object Value)[] attributes) =>
        JsonSerializer.SerializeToElement(attributes.ToDictionary(a => a.Key, a => a.Value));

    /// <summary>Nodes and constants as a TF.js graph would hold them.</summary>
    private sealed class Graph(string path, Dictionary<string, TfjsWeight> weights)
    {
        private readonly List<TfjsNode> _nodes = [];
        private readonly HashSet<string> _used = new(StringComparer.Ordinal);
        private readonly HashSet<string> _manifest = [.. weights.Keys];

        public TfjsWeight Weight(string name)
        {
            _used.Add(name);
            return weights.TryGetValue(name, out var w) ? w : throw new ModelException($"{path}: weight '{name}' is missing (not face-api's FaceExpressionNet?)");
        }

        /// <summary>A weight of the manifest as a constant node.</summary>
        public string Existing(string name)
        {
            Weight(name);
            _nodes.Add(new TfjsNode(name, "Const", [], default));
            return name;
        }

        public string Constant(string name, float[] values, long[] shape)
        {
            weights[name] = new TfjsWeight(name, shape, values, null);
            _nodes.Add(new TfjsNode(name, "Const", [], default));
            return name;
        }

        public string IntConstant(string name, int[] values)
        {
            weights[name] = new TfjsWeight(name, [values.Length], null, values);
            _nodes.Add(new TfjsNode(name, "Const", [], default));
            return name;
        }

        public string Placeholder(string name, long[] shape)
        {
            var dims = new { dim = shape.Select(d => new { size = d.ToString(System.Globalization.CultureInfo.InvariantCulture) }).ToArray() };
            _nodes.Add(new TfjsNode(name, "Placeholder", [], JsonSerializer.SerializeToElement(new { shape = new { shape = dims } })));
            return name;
        }

        public string Node(string op, string name, IReadOnlyList<string> inputs, JsonElement attributes = default)
        {
            _nodes.Add(new TfjsNode(name, op, inputs, attributes));
            return name;
        }

        public void CheckAllWeightsUsed()
        {
            var unused = _manifest.Except(_used).ToList();
            if (unused.Count > 0)
            {
                throw new ModelException($"{path}: weights the FaceExpressionNet architecture does not use: {string.Join(", ", unused.Take(5))} (not face-api's FaceExpressionNet?)");
            }
        }

        public TfjsGraphModel Build() => new(path, _nodes, weights);
    }
}
