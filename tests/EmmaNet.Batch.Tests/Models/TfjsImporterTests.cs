using EmmaNet.Batch.Models.Conversion;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Models;

/// <summary>The TF.js importer's error paths, on small graph models the tests write.</summary>
public sealed class TfjsImporterTests : IDisposable
{
    private readonly TempFolder _temp = new();

    /// <summary>A graph model: input [N,4,4,1] -> 1x1 conv with bias and Relu -> an op given by the test.</summary>
    private string WriteModel(string lastOp, int shardBytes = -1)
    {
        var json = $$"""
        {
          "format": "graph-model",
          "modelTopology": { "node": [
            { "name": "x", "op": "Placeholder", "attr": { "shape": { "shape": { "dim": [ { "size": "-1" }, { "size": "4" }, { "size": "4" }, { "size": "1" } ] } }, "dtype": { "type": "DT_FLOAT" } } },
            { "name": "w", "op": "Const" },
            { "name": "b", "op": "Const" },
            { "name": "conv", "op": "_FusedConv2D", "input": [ "x", "w", "b" ], "attr": {
                "strides": { "list": { "i": [ "1", "1", "1", "1" ] } }, "padding": { "s": "U0FNRQ==" },
                "fused_ops": { "list": { "s": [ "Qmlhc0FkZA==", "UmVsdQ==" ] } }, "num_args": { "i": "1" } } },
            { "name": "y", "op": "{{lastOp}}", "input": [ "conv" ] }
          ] },
          "weightsManifest": [ { "paths": [ "weights.bin" ], "weights": [
            { "name": "w", "shape": [ 1, 1, 1, 2 ], "dtype": "float32" },
            { "name": "b", "shape": [ 2 ], "dtype": "float32" } ] } ]
        }
        """;
        File.WriteAllText(_temp.File("model.json"), json);
        var weights = new float[] { 2f, -1f, 0.5f, 0.25f };
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(weights.AsSpan()).ToArray();
        File.WriteAllBytes(_temp.File("weights.bin"), shardBytes < 0 ? bytes : bytes[..shardBytes]);
        return _temp.File("model.json");
    }

    [Fact]
    public void Converts_a_small_graph_and_onnx_runtime_computes_it()
    {
        var model = TfjsToOnnx.Convert(TfjsGraphModel.Load(WriteModel("Relu")), [new ConvertedOutput("y", "y")], "test");
        var path = _temp.File("model.onnx");
        Batch.Onnx.OnnxModelFile.Save(model, path);
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(path);
        var input = Enumerable.Range(0, 16).Select(i => i - 8f).ToArray();
        using var value = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(input, [1, 4, 4, 1]);
        using var runOptions = new Microsoft.ML.OnnxRuntime.RunOptions();
        using var result = session.Run(runOptions, ["x"], [value], ["y"]);
        var y = result[0].GetTensorDataAsSpan<float>().ToArray();
        // NHWC out: channel 0 = relu(2x + 0.5), channel 1 = relu(-x + 0.25).
        for (var i = 0; i < 16; i++)
        {
            Assert.Equal(Math.Max(0, 2 * input[i] + 0.5f), y[i * 2], 5);
            Assert.Equal(Math.Max(0, -input[i] + 0.25f), y[i * 2 + 1], 5);
        }
    }

    [Fact]
    public void An_unknown_op_is_named_with_its_node()
    {
        var ex = Assert.Throws<ModelException>(() => TfjsToOnnx.Convert(TfjsGraphModel.Load(WriteModel("FancyNewOp")), [new ConvertedOutput("y", "y")], "test"));
        Assert.Contains("node 'y' uses op 'FancyNewOp'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_weight_shard_is_reported()
    {
        var ex = Assert.Throws<ModelException>(() => TfjsGraphModel.Load(WriteModel("Relu", shardBytes: 10)));
        Assert.Contains("weight shards end inside weight 'b'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_weight_shard_is_reported()
    {
        var path = WriteModel("Relu");
        File.Delete(_temp.File("weights.bin"));
        Assert.Contains("weight shard weights.bin is missing", Assert.Throws<ModelException>(() => TfjsGraphModel.Load(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_weights_manifest_that_is_not_faceapis_expression_net_names_the_first_missing_weight()
    {
        // A bare weights manifest (face-api's format) holding the small graph's weights, not the expression net's.
        WriteModel("Relu");
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
