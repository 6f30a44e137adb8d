using EmmaNet.Batch.Onnx;

namespace EmmaNet.Batch.Models;

/// <summary>Turns a fetched source file into the final ONNX file, as its manifest entry's <c>convert</c> says.</summary>
public static class ModelConverter
{
    public static void Convert(ModelEntry entry, string source, string destination)
    {
        switch (entry.Convert)
        {
            case null:
                File.Copy(source, destination, overwrite: true);
                break;
            case { From: "onnx" } conversion when conversion.SymbolicBatch || conversion.SymbolicSize:
                var model = OnnxModelFile.Load(source);
                model = conversion.SymbolicBatch ? BatchDimension.MakeSymbolic(model) : model;
                OnnxModelFile.Save(conversion.SymbolicSize ? ImageSize.MakeSymbolic(model) : model, destination);
                break;
            case { From: "tfjs-graph" } conversion:
                var graph = Conversion.TfjsGraphModel.Load(source);
                OnnxModelFile.Save(Conversion.TfjsToOnnx.Convert(graph, conversion.Outputs ?? [], entry.Id, conversion.SymbolicSize), destination);
                break;
            default:
                throw new ModelException($"model '{entry.Id}': unknown conversion '{entry.Convert.From}'");
        }
    }
}
