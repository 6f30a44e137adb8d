using EmmaNet.Batch.Onnx.Proto;

namespace EmmaNet.Batch.Onnx;

/// <summary>
/// Makes a fully convolutional NHWC image model accept any input height and width (FORMATS.md section 5's BlazeFace):
/// the input's H and W become symbolic, each output's anchor dimension too, and reshape targets <c>[N, anchors, k]</c>
/// become <c>[0, -1, k]</c> (batch copied, anchors inferred). The size the model was made for is kept as metadata
/// (<see cref="NominalKey"/>). Conv and pool pads stay as computed for that size, which holds for any size that is a
/// multiple of the coarsest stride (every stride-2 window then meets an even size, as at the nominal size); callers
/// choose such sizes. A graph with an op whose meaning depends on the size is refused.
/// </summary>
public static class ImageSize
{
    public const string NominalKey = "emmanet.input_size";

    private static readonly HashSet<string> SizeFree = ["Conv", "Relu", "Clip", "Add", "Mul", "MaxPool", "AveragePool", "Pad", "Transpose", "Reshape", "Sigmoid", "Identity"];

    public static ModelProto MakeSymbolic(ModelProto source)
    {
        var model = source.Clone();
        var graph = model.Graph;
        var unknown = graph.Node.Select(n => n.OpType).Where(op => !SizeFree.Contains(op)).Distinct().ToList();
        if (unknown.Count > 0)
        {
            throw new ModelException($"graph '{graph.Name}' uses {string.Join(", ", unknown)}: its input size cannot be made symbolic safely");
        }
        var input = graph.Input.Single(i => graph.Initializer.All(t => t.Name != i.Name));
        var dims = input.Type.TensorType.Shape.Dim;
        if (dims.Count != 4 || dims[1].ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue || dims[2].ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue)
        {
            throw new ModelException($"graph input '{input.Name}' is not an NHWC image of fixed size");
        }
        model.MetadataProps.Add(new StringStringEntryProto { Key = NominalKey, Value = $"{dims[1].DimValue}x{dims[2].DimValue}" });
        dims[1] = new TensorShapeProto.Types.Dimension { DimParam = "H" };
        dims[2] = new TensorShapeProto.Types.Dimension { DimParam = "W" };
        foreach (var output in graph.Output)
        {
            var outputDims = output.Type.TensorType.Shape.Dim;
            if (outputDims.Count == 3)
            {
                outputDims[1] = new TensorShapeProto.Types.Dimension { DimParam = output.Name.Replace(':', '_') + "_anchors" };
            }
        }
        graph.ValueInfo.Clear();

        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var node in graph.Node.Where(n => n.OpType == "Reshape"))
        {
            var target = initializers.TryGetValue(node.Input[1], out var shape) ? OnnxTensors.ReadInt64(shape) : null;
            if (target is not { Length: 3 })
            {
                throw new ModelException($"reshape '{node.Name}' has no constant [N, anchors, k] target to make size-free");
            }
            var sizeFree = OnnxTensors.Int64(shape!.Name + "_any_size", [0, -1, target[2]], 3);
            graph.Initializer.Add(sizeFree);
            node.Input[1] = sizeFree.Name;
        }
        var used = graph.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        foreach (var orphan in graph.Initializer.Where(t => !used.Contains(t.Name)).ToList())
        {
            graph.Initializer.Remove(orphan);
        }
        return model;
    }

    /// <summary>The nominal (height, width) recorded by <see cref="MakeSymbolic"/> or the tfjs importer, or null.</summary>
    public static (int Height, int Width)? Nominal(IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue(NominalKey, out var value))
        {
            return null;
        }
        var parts = value.Split('x');
        return parts.Length == 2 && int.TryParse(parts[0], out var h) && int.TryParse(parts[1], out var w) ? (h, w) : null;
    }
}
