using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Tests.Support;
using Microsoft.ML.OnnxRuntime;
using DataType = EmmaNet.Batch.Onnx.Proto.TensorProto.Types.DataType;

namespace EmmaNet.Batch.Tests.Onnx;

public sealed class GraphBuilderTests
{
    [Fact]
    public void A_built_model_with_a_symbolic_batch_runs_in_onnx_runtime_and_keeps_its_metadata()
    {
        var b = new OnnxGraphBuilder("tiny");
        var x = b.AddInput("x", DataType.Float, "N", 3);
        var c = b.Float("c", [1f, -2f, 3f], 3);
        var sum = b.Node("Add", [x, c]);
        b.Node("Relu", [sum], output: "y");
        b.AddOutput("y", DataType.Float, "N", 3);
        b.Metadata["emmanet.test"] = "yes";

        using var temp = new TempFolder();
        var path = temp.File("tiny.onnx");
        OnnxModelFile.Save(b.Build(), path);

        using var session = new InferenceSession(path);
        Assert.Equal("yes", session.ModelMetadata.CustomMetadataMap["emmanet.test"]);
        Assert.Equal([-1, 3], session.InputMetadata["x"].Dimensions);
        float[] input = [0, 0, 0, 5, 5, -5];
        using var value = OrtValue.CreateTensorValueFromMemory(input, [2, 3]);
        using var runOptions = new RunOptions();
        using var result = session.Run(runOptions, ["x"], [value], ["y"]);
        Assert.Equal([1f, 0f, 3f, 6f, 3f, 0f], result[0].GetTensorDataAsSpan<float>().ToArray());
    }

    [Fact]
    public void Duplicate_value_names_are_refused() =>
        Assert.Throws<ArgumentException>(() =>
        {
            var b = new OnnxGraphBuilder("dup");
            b.AddInput("x", DataType.Float, 1);
            b.AddInput("x", DataType.Float, 1);
        });
}
