using System.Globalization;
using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Onnx.Proto;

namespace EmmaNet.Batch.Models;

/// <summary>
/// TensorRT optimisation profiles for models whose batch dimension is symbolic (the detector and the fusion network):
/// without one, TensorRT builds an engine for each batch size it meets. Every input whose first dimension is symbolic
/// gets batch 1 as its minimum, the pipeline's usual batch as the optimum and a maximum; the other dimensions are the
/// model's own. Inputs with other symbolic dimensions, or names TensorRT's option format cannot carry (':' or ','),
/// leave the model without profiles (engines per shape, still cached).
/// </summary>
public static class TensorRtProfiles
{
    public const int OptimumBatch = 16;
    public const int MaximumBatch = 256;

    /// <summary>The three provider option values, or null when the model gets no profile.</summary>
    public static (string Min, string Opt, string Max)? For(string modelPath)
    {
        var graph = OnnxModelFile.Load(modelPath).Graph;
        var inputs = graph.Input;
        var initializers = graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var shapes = new List<(string Name, long[] Dims)>();
        foreach (var input in inputs.Where(i => !initializers.Contains(i.Name)))
        {
            var dims = input.Type?.TensorType?.Shape?.Dim;
            if (dims is null || dims.Count == 0 || dims[0].ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam)
            {
                continue;
            }
            if (dims.Skip(1).Any(d => d.ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue) || input.Name.IndexOfAny([':', ',']) >= 0)
            {
                return null;
            }
            shapes.Add((input.Name, dims.Skip(1).Select(d => d.DimValue).ToArray()));
        }
        if (shapes.Count == 0)
        {
            return null;
        }
        string Shapes(int batch) => string.Join(",", shapes.Select(s => $"{s.Name}:{string.Join("x", s.Dims.Prepend(batch).Select(d => d.ToString(CultureInfo.InvariantCulture)))}"));
        return (Shapes(1), Shapes(OptimumBatch), Shapes(MaximumBatch));
    }
}
