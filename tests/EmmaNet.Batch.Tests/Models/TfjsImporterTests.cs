using EmmaNet.Batch.Models.Conversion;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Models;

/// <summary>The TF.js importer on small graph models the tests write: what it computes, how it writes the ops ONNX Runtime runs slowly, its error paths.</summary>
public sealed class TfjsImporterTests : IDisposable
{
    private readonly TempFolder _temp = new();

    private static readonly float[] Input = Enumerable.Range(0, 16).Select(i => i - 8f).ToArray();

    /// <summary>
    /// A graph model: input [N,4,4,1] -> 1x1 conv to 2 channels (2x + 0.5, -x + 0.25), Relu fused when
    /// <paramref name="fusedRelu"/>, named "conv" -> the <paramref name="tail"/> nodes; extra weights after w and b.
    /// </summary>
    private string WriteModel(string tail, bool fusedRelu = true, string extraWeights = "", float[]? extra = null, int shardBytes = -1)
    {
        var fused = fusedRelu ? "\"Qmlhc0FkZA==\", \"UmVsdQ==\"" : "\"Qmlhc0FkZA==\"";
        var json = $$"""
        {
          "format": "graph-model",
          "modelTopology": { "node": [
            { "name": "x", "op": "Placeholder", "attr": { "shape": { "shape": { "dim": [ { "size": "-1" }, { "size": "4" }, { "size": "4" }, { "size": "1" } ] } }, "dtype": { "type": "DT_FLOAT" } } },
            { "name": "w", "op": "Const" },
            { "name": "b", "op": "Const" },
            { "name": "conv", "op": "_FusedConv2D", "input": [ "x", "w", "b" ], "attr": {
                "strides": { "list": { "i": [ "1", "1", "1", "1" ] } }, "padding": { "s": "U0FNRQ==" },
                "fused_ops": { "list": { "s": [ {{fused}} ] } }, "num_args": { "i": "1" } } },
            {{tail}}
          ] },
          "weightsManifest": [ { "paths": [ "weights.bin" ], "weights": [
            { "name": "w", "shape": [ 1, 1, 1, 2 ], "dtype": "float32" },
            { "name": "b", "shape": [ 2 ], "dtype": "float32" }{{(extraWeights.Length > 0 ? ", " + extraWeights : "")}} ] } ]
        }
        """;
        File.WriteAllText(_temp.File("model.json"), json);
        float[] weights = [2f, -1f, 0.5f, 0.25f, .. extra ?? []];
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(weights.AsSpan()).ToArray();
        File.WriteAllBytes(_temp.File("weights.bin"), shardBytes < 0 ? bytes : bytes[..shardBytes]);
        return _temp.File("model.json");
    }

    /// <summary>The one node "y" taking the convolution's output.</summary>
    private static string LastOp(string op) => $$"""{ "name": "y", "op": "{{op}}", "input": [ "conv" ] }""";

    /// <summary>The graph model converted, its ONNX op types, and ONNX Runtime's output "y" on <see cref="Input"/> (NHWC).</summary>
    private float[] ConvertAndRun(string modelPath, out string[] ops)
    {
        var model = TfjsToOnnx.Convert(TfjsGraphModel.Load(modelPath), [new ConvertedOutput("y", "y")], "test");
        ops = model.Graph.Node.Select(n => n.OpType).ToArray();
        var path = _temp.File("model.onnx");
        Batch.Onnx.OnnxModelFile.Save(model, path);
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(path);
        using var value = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(Input, [1, 4, 4, 1]);
        using var runOptions = new Microsoft.ML.OnnxRuntime.RunOptions();
        using var result = session.Run(runOptions, ["x"], [value], ["y"]);
        return result[0].GetTensorDataAsSpan<float>().ToArray();
    }

    [Fact]
    public void Converts_a_small_graph_and_onnx_runtime_computes_it()
    {
        var y = ConvertAndRun(WriteModel(LastOp("Relu")), out _);
        var input = Input;
        // NHWC out: channel 0 = relu(2x + 0.5), channel 1 = relu(-x + 0.25).
        for (var i = 0; i < 16; i++)
        {
            Assert.Equal(Math.Max(0, 2 * input[i] + 0.5f), y[i * 2], 5);
            Assert.Equal(Math.Max(0, -input[i] + 0.25f), y[i * 2 + 1], 5);
        }
    }

    [Fact]
    public void A_prelu_is_written_without_onnx_prelu_and_gives_its_values_exactly()
    {
        // ONNX Runtime's CPU PRelu kernel was 2-3x slower than max(x, 0) + slope * min(x, 0) on the face mesh.
        var y = ConvertAndRun(WriteModel("""{ "name": "a", "op": "Const" }, { "name": "y", "op": "Prelu", "input": [ "conv", "a" ] }""", fusedRelu: false,
            """{ "name": "a", "shape": [ 1, 1, 2 ], "dtype": "float32" }""", [0.1f, 0.3f]), out var ops);
        Assert.DoesNotContain("PRelu", ops);
        for (var i = 0; i < 16; i++)
        {
            var (c0, c1) = (2 * Input[i] + 0.5f, -Input[i] + 0.25f);
            Assert.Equal(c0 > 0 ? c0 : 0.1f * c0, y[i * 2]);
            Assert.Equal(c1 > 0 ? c1 : 0.3f * c1, y[i * 2 + 1]);
        }
    }

    [Fact]
    public void A_keras_relu_with_a_ceiling_becomes_one_clip_with_the_same_values()
    {
        // Keras ReLU(max_value=c) in TF.js: maximum(minimum(relu(x), c), 0), as HSE FaceRes is written.
        var y = ConvertAndRun(WriteModel(
            """
            { "name": "r", "op": "Relu", "input": [ "conv" ] }, { "name": "c", "op": "Const" }, { "name": "m", "op": "Minimum", "input": [ "r", "c" ] },
            { "name": "z", "op": "Const" }, { "name": "y", "op": "Maximum", "input": [ "m", "z" ] }
            """,
            fusedRelu: false, """{ "name": "c", "shape": [], "dtype": "float32" }, { "name": "z", "shape": [], "dtype": "float32" }""", [1.5f, 0f]), out var ops);
        Assert.Equal(["Transpose", "Conv", "Clip", "Transpose", "Identity"], ops);
        for (var i = 0; i < 16; i++)
        {
            Assert.Equal(Math.Clamp(2 * Input[i] + 0.5f, 0f, 1.5f), y[i * 2]);
            Assert.Equal(Math.Clamp(-Input[i] + 0.25f, 0f, 1.5f), y[i * 2 + 1]);
        }
    }

    [Fact]
    public void An_unknown_op_is_named_with_its_node()
    {
        var ex = Assert.Throws<ModelException>(() => TfjsToOnnx.Convert(TfjsGraphModel.Load(WriteModel(LastOp("FancyNewOp"))), [new ConvertedOutput("y", "y")], "test"));
        Assert.Contains("node 'y' uses op 'FancyNewOp'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_weight_shard_is_reported()
    {
        var ex = Assert.Throws<ModelException>(() => TfjsGraphModel.Load(WriteModel(LastOp("Relu"), shardBytes: 10)));
        Assert.Contains("weight shards end inside weight 'b'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_weight_shard_is_reported()
    {
        var path = WriteModel(LastOp("Relu"));
        File.Delete(_temp.File("weights.bin"));
        Assert.Contains("weight shard weights.bin is missing", Assert.Throws<ModelException>(() => TfjsGraphModel.Load(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_weights_manifest_that_is_not_faceapis_expression_net_names_the_first_missing_weight()
    {
        // A bare weights manifest (face-api's format) holding the small graph's weights, not the expression net's.
        WriteModel(LastOp("Relu"));
        File.WriteAllText(_temp.File("other-weights_manifest.json"), """
            [ { "paths": [ "weights.bin" ], "weights": [
              { "name": "w", "shape": [ 1, 1, 1, 2 ], "dtype": "float32" },
              { "name": "b", "shape": [ 2 ], "dtype": "float32" } ] } ]
            """);
        Assert.Equal(2, TfjsGraphModel.LoadWeights(_temp.File("other-weights_manifest.json")).Count);
        var ex = Assert.Throws<ModelException>(() => FaceApiExpressionNet.Load(_temp.File("other-weights_manifest.json")));
        Assert.Contains("weight 'dense0/conv0/filters' is missing", ex.Message, StringComparison.Ordinal);
        // A graph model is not a bare manifest.
        Assert.Contains("not a weights manifest", Assert.Throws<ModelException>(() => TfjsGraphModel.LoadWeights(_temp.File("model.json"))).Message, StringComparison.Ordinal);
    }

    public void Dispose() => _temp.Dispose();
}
