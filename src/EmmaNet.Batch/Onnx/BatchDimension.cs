using EmmaNet.Batch.Onnx.Proto;

namespace EmmaNet.Batch.Onnx;

/// <summary>
/// Makes a model exported with a fixed batch of 1 accept any batch: the first dimension of every graph input and
/// output becomes a named symbolic dimension, reshape targets that hard-code the batch get -1 there, and zero
/// padding built as <c>Concat(x, ConstantOfShape([1, c, h, w]))</c> becomes <c>Pad(x)</c>, which follows the batch.
/// Intermediate shape annotations (value_info) are dropped: ONNX Runtime infers them again. Initializers no node
/// uses any more are removed.
/// </summary>
public static class BatchDimension
{
    public static ModelProto MakeSymbolic(ModelProto source, string dimension = "N")
    {
        var model = source.Clone();
        var graph = model.Graph;
        foreach (var value in graph.Input.Concat(graph.Output))
        {
            var dims = value.Type?.TensorType?.Shape?.Dim;
            if (dims is null || dims.Count == 0)
            {
                throw new ModelException($"graph value '{value.Name}' has no shape to make the batch symbolic in");
            }
            dims[0] = new TensorShapeProto.Types.Dimension { DimParam = dimension };
        }
        graph.ValueInfo.Clear();

        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var producers = graph.Node.SelectMany(n => n.Output.Select(o => (o, n))).ToDictionary(p => p.o, p => p.n, StringComparer.Ordinal);
        var consumers = graph.Node.SelectMany(n => n.Input).GroupBy(i => i, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

        foreach (var node in graph.Node.Where(n => n.OpType == "Reshape").ToList())
        {
            if (initializers.TryGetValue(node.Input[1], out var shape))
            {
                var target = OnnxTensors.ReadInt64(shape);
                if (target.Length > 0 && target[0] == 1)
                {
                    target[0] = -1;
                    var fixedShape = OnnxTensors.Int64(shape.Name + "_any_batch", target, target.Length);
                    graph.Initializer.Add(fixedShape);
                    node.Input[1] = fixedShape.Name;
                }
            }
        }

        foreach (var concat in graph.Node.Where(n => n.OpType == "Concat").ToList())
        {
            if (concat.Input.Count != 2 || !producers.TryGetValue(concat.Input[1], out var zeros) || zeros.OpType != "ConstantOfShape"
                || !initializers.TryGetValue(zeros.Input[0], out var zerosShape) || consumers[concat.Input[1]] != 1)
            {
                continue;
            }
            var axis = concat.Attribute.Single(a => a.Name == "axis").I;
            var shape = OnnxTensors.ReadInt64(zerosShape);
            var value = zeros.Attribute.FirstOrDefault(a => a.Name == "value")?.T;
            if (shape[0] != 1 || axis <= 0 || (value is not null && OnnxTensors.ReadFloat(value).Any(v => v != 0)))
            {
                continue;
            }
            var pads = new long[shape.Length * 2];
            pads[shape.Length + axis] = shape[axis];
            var padsTensor = OnnxTensors.Int64(concat.Output[0] + "_pads", pads, pads.Length);
            graph.Initializer.Add(padsTensor);
            var pad = new NodeProto { OpType = "Pad", Name = concat.Output[0] + "/as_pad" };
            pad.Input.Add(concat.Input[0]);
            pad.Input.Add(padsTensor.Name);
            pad.Output.Add(concat.Output[0]);
            pad.Attribute.Add(OnnxTensors.Attribute("mode", "constant"));
            graph.Node[graph.Node.IndexOf(concat)] = pad;
            graph.Node.Remove(zeros);
        }

        var used = graph.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        foreach (var orphan in graph.Initializer.Where(t => !used.Contains(t.Name)).ToList())
        {
            graph.Initializer.Remove(orphan);
        }
        return model;
    }
}
