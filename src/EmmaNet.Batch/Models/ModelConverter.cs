using EmmaNet.Batch.Onnx;

namespace EmmaNet.Batch.Models;

/// <summary>Turns a fetched source file into the final ONNX file, as its manifest entry's <c>convert</c> says.</summary>
public static class ModelConverter
{
    /// <param name="destination">Where the ONNX file's bytes go (the caller makes it a file atomically).</param>
    /// <param name="packageFile">The path of another file of the source package (for conversions that read two), or null when the package's files are not at hand.</param>
    public static void Convert(ModelEntry entry, string source, Stream destination, Func<string, string>? packageFile = null)
    {
        switch (entry.Convert)
        {
            case null:
                using (var input = File.OpenRead(source))
                {
                    input.CopyTo(destination);
                }
                break;
            case { From: "onnx", MeanImageModel: { } meanImageModel } conversion:
                var preprocess = packageFile?.Invoke(meanImageModel) ?? throw new ModelException($"model '{entry.Id}': the mean image model {meanImageModel} needs the package's files");
                Google.Protobuf.MessageExtensions.WriteTo(Conversion.ImageNetInput.Prepend(OnnxModelFile.Load(source), OnnxModelFile.Load(preprocess), conversion.Outputs ?? []), destination);
                break;
            case { From: "onnx" } conversion when conversion.SymbolicBatch || conversion.SymbolicSize:
                var model = OnnxModelFile.Load(source);
                model = conversion.SymbolicBatch ? BatchDimension.MakeSymbolic(model) : model;
                Google.Protobuf.MessageExtensions.WriteTo(conversion.SymbolicSize ? ImageSize.MakeSymbolic(model) : model, destination);
                break;
            case { From: "tfjs-graph" } conversion:
                var graph = Conversion.TfjsGraphModel.Load(source);
                Google.Protobuf.MessageExtensions.WriteTo(Conversion.TfjsToOnnx.Convert(graph, conversion.Outputs ?? [], entry.Id, conversion.SymbolicSize), destination);
                break;
            case { From: "faceapi-expression" } conversion:
                var net = Conversion.FaceApiExpressionNet.Load(source);
                Google.Protobuf.MessageExtensions.WriteTo(Conversion.TfjsToOnnx.Convert(net, conversion.Outputs ?? [], entry.Id, sourceFormat: "faceapi-expression"), destination);
                break;
            default:
                throw new ModelException($"model '{entry.Id}': unknown conversion '{entry.Convert.From}'");
        }
    }
}
