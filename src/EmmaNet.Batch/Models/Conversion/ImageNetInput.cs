using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Onnx.Proto;

namespace EmmaNet.Batch.Models.Conversion;

/// <summary>
/// Gives an ImageNet CNN that was trained the CNTK way (BGR pixels 0..255 minus a per-pixel mean image, as ML.NET's
/// ResNet18 package ships it with a separate <c>ResNetPreprocess.onnx</c>) the input every torchvision ImageNet CNN
/// takes: RGB in 0..1 normalised with <see cref="Mean"/> and <see cref="Std"/>, NCHW, any batch. The prepended nodes undo
/// that normalisation, reorder the channels and subtract the mean image, so one preprocessing in C# serves a user's
/// DenseNet-121 and the bundled ResNet18 alike.
/// </summary>
public static class ImageNetInput
{
    public const string InputName = "image";

    /// <summary>ImageNet channel means, RGB order.</summary>
    public static readonly float[] Mean = [0.485f, 0.456f, 0.406f];

    /// <summary>ImageNet channel standard deviations, RGB order.</summary>
    public static readonly float[] Std = [0.229f, 0.224f, 0.225f];

    /// <param name="network">The CNN, its single input a [1, 3, H, W] BGR 0..255 image minus the mean image.</param>
    /// <param name="preprocess">The model holding the mean image as its <c>MeanImage</c> initializer, [1, 3, H, W] in BGR order.</param>
    /// <param name="outputs">Output renames (source output name to new name).</param>
    public static ModelProto Prepend(ModelProto network, ModelProto preprocess, IReadOnlyList<ConvertedOutput> outputs)
    {
        var model = BatchDimension.MakeSymbolic(network);
        var graph = model.Graph;
        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = graph.Input.Where(i => !initializers.Contains(i.Name)).ToList();
        if (inputs.Count != 1)
        {
            throw new ModelException($"expected one image input, found {inputs.Count}");
        }
        var input = inputs[0];
        var meanImage = preprocess.Graph.Initializer.FirstOrDefault(t => t.Name == "MeanImage")
            ?? throw new ModelException("the preprocessing model has no MeanImage initializer");
        var dims = meanImage.Dims.ToArray();
        var inputDims = input.Type.TensorType.Shape.Dim;
        if (dims.Length != 4 || dims[0] != 1 || dims[1] != 3 || inputDims.Count != 4 || inputDims[2].DimValue != dims[2] || inputDims[3].DimValue != dims[3])
        {
            throw new ModelException($"the mean image [{string.Join(",", dims)}] does not fit the network input '{input.Name}'");
        }
        var (height, width) = (dims[2], dims[3]);
        var plane = (int)(height * width);
        var mean = OnnxTensors.ReadFloat(meanImage);
        // BGR channel c comes from RGB channel 2 - c: bgr255 = x * 255 std + 255 mean, then minus the mean image.
        var scale = new float[3];
        var offset = new float[3 * plane];
        for (var c = 0; c < 3; c++)
        {
            scale[c] = 255 * Std[2 - c];
            for (var i = 0; i < plane; i++)
            {
                offset[(c * plane) + i] = (255 * Mean[2 - c]) - mean[(c * plane) + i];
            }
        }
        const string prefix = "emmanet_imagenet_";
        graph.Initializer.Add(OnnxTensors.Int64(prefix + "bgr_order", [2, 1, 0], 3));
        graph.Initializer.Add(OnnxTensors.Float(prefix + "scale", scale, 1, 3, 1, 1));
        graph.Initializer.Add(OnnxTensors.Float(prefix + "offset", offset, 1, 3, height, width));
        NodeProto Node(string op, string output, params string[] args)
        {
            var node = new NodeProto { OpType = op, Name = output };
            node.Input.AddRange(args);
            node.Output.Add(output);
            return node;
        }
        var gather = Node("Gather", prefix + "bgr", InputName, prefix + "bgr_order");
        gather.Attribute.Add(OnnxTensors.Attribute("axis", 1L));
        graph.Node.Insert(0, Node("Add", input.Name, prefix + "scaled", prefix + "offset"));
        graph.Node.Insert(0, Node("Mul", prefix + "scaled", prefix + "bgr", prefix + "scale"));
        graph.Node.Insert(0, gather);
        var index = graph.Input.IndexOf(input);
        graph.Input[index] = OnnxTensors.Value(InputName, TensorProto.Types.DataType.Float, "N", 3L, height, width);

        foreach (var rename in outputs)
        {
            var output = graph.Output.FirstOrDefault(o => o.Name == rename.Node)
                ?? throw new ModelException($"the network has no output '{rename.Node}'");
            foreach (var node in graph.Node)
            {
                for (var i = 0; i < node.Output.Count; i++)
                {
                    node.Output[i] = node.Output[i] == rename.Node ? rename.Name : node.Output[i];
                }
                for (var i = 0; i < node.Input.Count; i++)
                {
                    node.Input[i] = node.Input[i] == rename.Node ? rename.Name : node.Input[i];
                }
            }
            output.Name = rename.Name;
        }
        return model;
    }
}
