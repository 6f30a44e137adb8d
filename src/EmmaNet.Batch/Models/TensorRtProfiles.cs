using System.Globalization;
using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Onnx.Proto;

namespace EmmaNet.Batch.Models;

/// <summary>
/// TensorRT optimisation profiles for models whose batch dimension is symbolic (the detector and the fusion network):
/// without one, TensorRT builds an engine for each batch size it meets. Every input whose first dimension is symbolic
/// gets batch 1 as its minimum, the pipeline's usual batch as the optimum and a maximum; the other dimensions are the
/// model's own. An image input whose height and width are symbolic (<see cref="ImageSize"/>) spans a quarter of its
/// nominal size up to the nominal size (the fitted inputs of <see cref="Imaging.Letterbox.Fitted"/>), optimum at the
/// nominal size. Inputs with other symbolic dimensions, or names TensorRT's option format cannot carry (':' or ','),
/// leave the model without profiles (engines per shape, still cached).
/// </summary>
public static class TensorRtProfiles
{
    public const int OptimumBatch = 16;
    public const int MaximumBatch = 256;

    /// <summary>The three provider option values, or null when the model gets no profile.</summary>
    public static (string Min, string Opt, string Max)? For(string modelPath)
    {
        var model = OnnxModelFile.Load(modelPath);
        var graph = model.Graph;
        var inputs = graph.Input;
        var initializers = graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var nominal = ImageSize.Nominal(model.MetadataProps.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));
        var shapes = new List<(string Name, long[] Min, long[] Max)>();
        foreach (var input in inputs.Where(i => !initializers.Contains(i.Name)))
        {
            var dims = input.Type?.TensorType?.Shape?.Dim;
            if (dims is null || dims.Count == 0 || dims[0].ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam)
            {
                continue;
            }
            if (input.Name.IndexOfAny([':', ',']) >= 0)
            {
                return null;
            }
            var max = new long[dims.Count - 1];
            var min = new long[dims.Count - 1];
            for (var d = 1; d < dims.Count; d++)
            {
                var size = dims[d].ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? dims[d].DimValue
                    : nominal is { } n && dims.Count == 4 && d is 1 or 2 ? (d == 1 ? n.Height : n.Width)
                    : -1;
                if (size <= 0)
                {
                    return null;
                }
                max[d - 1] = size;
                min[d - 1] = dims[d].ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? size : Imaging.Letterbox.SmallestFittedSide((int)size);
            }
            shapes.Add((input.Name, min, max));
        }
        if (shapes.Count == 0)
        {
            return null;
        }
        string Shapes(int batch, bool smallest) => string.Join(",", shapes.Select(s => $"{s.Name}:{string.Join("x", (smallest ? s.Min : s.Max).Prepend(batch).Select(d => d.ToString(CultureInfo.InvariantCulture)))}"));
        return (Shapes(1, smallest: true), Shapes(OptimumBatch, smallest: false), Shapes(MaximumBatch, smallest: false));
    }
}
