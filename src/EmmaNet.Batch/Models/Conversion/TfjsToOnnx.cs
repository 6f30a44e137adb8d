using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Onnx.Proto;
using DataType = EmmaNet.Batch.Onnx.Proto.TensorProto.Types.DataType;

namespace EmmaNet.Batch.Models.Conversion;

/// <summary>
/// Converts a TensorFlow.js graph model to ONNX (FORMATS.md section 6). The NHWC input keeps its layout at the
/// graph boundary and is transposed once to NCHW; activations stay NCHW inside, with a transpose only where an op's
/// meaning depends on the layout (reshape, softmax over a spatial tensor, outputs). Conv filters go HWIO -> OIHW,
/// depthwise filters [kh, kw, C, M] -> [C*M, 1, kh, kw] with group C. SAME padding is computed from statically inferred
/// shapes (begin = floor(total / 2)), or left to ONNX's SAME_UPPER, which splits the same way, when a size is unknown.
/// An op it does not know is an error naming the op and the node.
/// </summary>
public static class TfjsToOnnx
{
    /// <param name="symbolicSize">Make a 4-D input's height and width symbolic (a fully convolutional network then runs at any input size).</param>
    /// <param name="sourceFormat">What the source was, for the model's metadata (a graph written out in code says so).</param>
    public static ModelProto Convert(TfjsGraphModel model, IReadOnlyList<ConvertedOutput> outputs, string modelId, bool symbolicSize = false, string sourceFormat = "tfjs-graph") =>
        new Converter(model, symbolicSize).Run(outputs, modelId, sourceFormat);

    /// <summary>A converted value: its ONNX name, its shape in TensorFlow's (NHWC) terms (-1 unknown), and whether the ONNX tensor is NCHW.</summary>
    private sealed record Value(string Name, long[] Shape, bool Nchw)
    {
        public int Rank => Shape.Length;
    }

    private sealed class Converter(TfjsGraphModel model, bool symbolicSize)
    {
        private static readonly long[] ToNchw = [0, 3, 1, 2];
        private static readonly long[] ToNhwc = [0, 2, 3, 1];

        private readonly Dictionary<string, TfjsNode> _nodes = model.Nodes.ToDictionary(n => n.Name, StringComparer.Ordinal);
        private readonly Dictionary<string, Value> _values = new(StringComparer.Ordinal);
        private readonly HashSet<string> _visiting = new(StringComparer.Ordinal);
        private readonly OnnxGraphBuilder _b = new(Path.GetFileNameWithoutExtension(model.Path));

        public ModelProto Run(IReadOnlyList<ConvertedOutput> outputs, string modelId, string sourceFormat)
        {
            if (outputs.Count == 0)
            {
                throw new ModelException($"{model.Path}: no outputs named for the conversion");
            }
            foreach (var spec in outputs)
            {
                var v = Get(spec.Node);
                if (spec.GlobalAveragePool)
                {
                    if (v.Rank != 4)
                    {
                        throw new ModelException($"{model.Path}: output '{spec.Name}': node '{spec.Node}' is not a 4-D tensor to pool");
                    }
                    var pooled = _b.Node("GlobalAveragePool", [Nchw(v)]);
                    _b.Node("Flatten", [pooled], new Dictionary<string, object> { ["axis"] = 1L }, spec.Name);
                    _b.AddOutput(spec.Name, DataType.Float, "N", Dim(v.Shape[3], spec.Name, 1));
                }
                else
                {
                    _b.Node("Identity", [Nhwc(v)], output: spec.Name);
                    _b.AddOutput(spec.Name, DataType.Float, v.Shape.Select((d, i) => i == 0 ? "N" : Dim(d, spec.Name, i)).ToArray());
                }
            }
            _b.Metadata["emmanet.model_id"] = modelId;
            _b.Metadata["emmanet.converted_from"] = sourceFormat + ":" + Path.GetFileName(model.Path);
            return _b.Build("EmmaNet.Batch tfjs importer");
        }

        private static object Dim(long d, string name, int i) => d > 0 ? d : $"{name}_d{i}";

        private Value Get(string reference)
        {
            var name = reference.Split(':')[0];
            if (_values.TryGetValue(name, out var known))
            {
                return known;
            }
            if (!_nodes.TryGetValue(name, out var node))
            {
                throw new ModelException($"{model.Path}: input '{reference}' names no node of the graph");
            }
            if (!_visiting.Add(name))
            {
                throw new ModelException($"{model.Path}: node '{name}' is part of a cycle");
            }
            var value = ConvertNode(node);
            _visiting.Remove(name);
            _values[name] = value;
            return value;
        }

        private TfjsWeight Weight(TfjsNode node, int input)
        {
            var name = node.Inputs[input].Split(':')[0];
            if (_nodes.TryGetValue(name, out var producer) && producer.Op == "Identity")
            {
                return Weight(producer, 0);
            }
            return model.Weights.TryGetValue(name, out var w) && _nodes.TryGetValue(name, out var c) && c.Op == "Const"
                ? w
                : throw new ModelException($"{model.Path}: node '{node.Name}' ({node.Op}): input {input} ('{name}') must be a constant");
        }

        private string Nchw(Value v) => v.Rank == 4 && !v.Nchw ? _b.Node("Transpose", [v.Name], new Dictionary<string, object> { ["perm"] = ToNchw }) : v.Name;

        private string Nhwc(Value v) => v.Rank == 4 && v.Nchw ? _b.Node("Transpose", [v.Name], new Dictionary<string, object> { ["perm"] = ToNhwc }) : v.Name;

        private Value ConvertNode(TfjsNode node) => node.Op switch
        {
            "Placeholder" => Placeholder(node),
            "Const" => Constant(node),
            "Identity" => Get(node.Inputs[0]),
            "Conv2D" or "_FusedConv2D" => Convolution(node, depthwise: false),
            "DepthwiseConv2dNative" or "FusedDepthwiseConv2dNative" => Convolution(node, depthwise: true),
            "MaxPool" or "AvgPool" => Pool(node),
            "Add" or "AddV2" or "BiasAdd" or "Sub" or "Mul" or "RealDiv" or "Maximum" or "Minimum" => Binary(node),
            "Relu" or "Relu6" or "Sigmoid" or "Tanh" or "Elu" or "LeakyRelu" => Unary(node),
            "Mean" => Mean(node),
            "Softmax" => Softmax(node),
            "Reshape" => Reshape(node),
            "ConcatV2" => Concat(node),
            "Prelu" => Prelu(node),
            "Pad" => Pad(node),
            _ => throw new ModelException($"{model.Path}: node '{node.Name}' uses op '{node.Op}', which the TF.js importer does not support"),
        };

        private Value Placeholder(TfjsNode node)
        {
            var shape = node.Shape("shape") ?? throw new ModelException($"{model.Path}: graph input '{node.Name}' has no shape");
            if (symbolicSize && shape.Length == 4)
            {
                _b.Metadata[ImageSize.NominalKey] = $"{shape[1]}x{shape[2]}";
                shape = [shape[0], -1, -1, shape[3]];
            }
            _b.AddInput(node.Name, DataType.Float, shape.Select((d, i) => i == 0 ? "N" : Dim(d, node.Name, i)).ToArray());
            var input = new Value(node.Name, [-1, .. shape[1..]], Nchw: false);
            return shape.Length == 4 ? input with { Name = Nchw(input), Nchw = true } : input;
        }

        private Value Constant(TfjsNode node)
        {
            var w = model.Weights.TryGetValue(node.Name, out var found) ? found : throw new ModelException($"{model.Path}: constant '{node.Name}' has no weights in the manifest");
            var name = w.Floats is not null ? _b.Float(node.Name, w.Floats, w.Shape) : _b.Int64(node.Name, w.Ints!.Select(i => (long)i).ToArray(), w.Shape);
            return new Value(name, w.Shape, Nchw: false);
        }

        /// <summary>Output size and ONNX pads [top, left, bottom, right] for one conv/pool window (null pads: SAME with an unknown size).</summary>
        private (long OutH, long OutW, long[]? Pads) Window(TfjsNode node, long inH, long inW, long kh, long kw, long sh, long sw, long dh, long dw)
        {
            var padding = node.String("padding") ?? "VALID";
            switch (padding)
            {
                case "VALID":
                    return (Out(inH, (dh * (kh - 1)) + 1, sh), Out(inW, (dw * (kw - 1)) + 1, sw), [0, 0, 0, 0]);
                case "SAME" when inH > 0 && inW > 0:
                    var oh = (inH + sh - 1) / sh;
                    var ow = (inW + sw - 1) / sw;
                    var th = Math.Max(((oh - 1) * sh) + (dh * (kh - 1)) + 1 - inH, 0);
                    var tw = Math.Max(((ow - 1) * sw) + (dw * (kw - 1)) + 1 - inW, 0);
                    return (oh, ow, [th / 2, tw / 2, th - (th / 2), tw - (tw / 2)]);
                case "SAME":
                    return (-1, -1, null);
                case "EXPLICIT":
                    var e = node.Ints("explicit_paddings") ?? throw new ModelException($"{model.Path}: node '{node.Name}': EXPLICIT padding without explicit_paddings");
                    return (Out(inH + e[2] + e[3], (dh * (kh - 1)) + 1, sh), Out(inW + e[4] + e[5], (dw * (kw - 1)) + 1, sw), [e[2], e[4], e[3], e[5]]);
                default:
                    throw new ModelException($"{model.Path}: node '{node.Name}': padding '{padding}' is not supported");
            }

            static long Out(long size, long window, long stride) => size > 0 ? ((size - window) / stride) + 1 : -1;
        }

        private static void AddPads(Dictionary<string, object> attrs, long[]? pads)
        {
            if (pads is null)
            {
                attrs["auto_pad"] = "SAME_UPPER";
            }
            else
            {
                attrs["pads"] = pads;
            }
        }

        private Value Convolution(TfjsNode node, bool depthwise)
        {
            var x = Get(node.Inputs[0]);
            var filter = Weight(node, 1);
            if (filter.Shape.Length != 4 || filter.Floats is null)
            {
                throw new ModelException($"{model.Path}: node '{node.Name}': filter must be a 4-D float constant");
            }
            var (kh, kw, ci, m) = (filter.Shape[0], filter.Shape[1], filter.Shape[2], filter.Shape[3]);
            var strides = node.Ints("strides") ?? [1, 1, 1, 1];
            var dilations = node.Ints("dilations") ?? [1, 1, 1, 1];
            var (oh, ow, pads) = Window(node, x.Shape[1], x.Shape[2], kh, kw, strides[1], strides[2], dilations[1], dilations[2]);
            var outChannels = depthwise ? ci * m : m;
            var weights = new float[filter.Count];
            var f = filter.Floats;
            for (var i = 0; i < kh; i++)
            {
                for (var j = 0; j < kw; j++)
                {
                    for (var c = 0; c < ci; c++)
                    {
                        for (var o = 0; o < m; o++)
                        {
                            var src = (((i * kw) + j) * ci + c) * m + o;
                            // HWIO -> OIHW; depthwise [kh, kw, C, M] -> [C*M, 1, kh, kw].
                            var dst = depthwise ? ((((c * m) + o) * kh) + i) * kw + j : ((((o * ci) + c) * kh) + i) * kw + j;
                            weights[dst] = f[src];
                        }
                    }
                }
            }
            var inputs = new List<string> { Nchw(x), _b.Float(node.Name + "/W", weights, depthwise ? [ci * m, 1, kh, kw] : [m, ci, kh, kw]) };
            var fused = node.Strings("fused_ops");
            var extra = 2;
            if (fused.Count > 0 && fused[0] == "BiasAdd")
            {
                inputs.Add(_b.Float(node.Name + "/B", Weight(node, extra++).Floats!, outChannels));
            }
            else if (fused.Count > 0)
            {
                throw new ModelException($"{model.Path}: node '{node.Name}' ({node.Op}) fuses '{fused[0]}', which the TF.js importer does not support");
            }
            var attrs = new Dictionary<string, object>
            {
                ["kernel_shape"] = new[] { kh, kw },
                ["strides"] = new[] { strides[1], strides[2] },
                ["dilations"] = new[] { dilations[1], dilations[2] },
                ["group"] = depthwise ? ci : 1L,
            };
            AddPads(attrs, pads);
            var y = new Value(_b.Node("Conv", inputs, attrs), [x.Shape[0], oh, ow, outChannels], Nchw: true);
            return fused.Count > 1 ? Activation(node, fused[1], y, extra) : y;
        }

        private Value Activation(TfjsNode node, string activation, Value x, int alphaInput)
        {
            string name = activation switch
            {
                "Relu" => _b.Node("Relu", [x.Name]),
                "Relu6" => _b.Node("Clip", [x.Name, _b.Float(node.Name + "/min", [0f]), _b.Float(node.Name + "/max", [6f])]),
                "Sigmoid" => _b.Node("Sigmoid", [x.Name]),
                "Tanh" => _b.Node("Tanh", [x.Name]),
                "Elu" => _b.Node("Elu", [x.Name]),
                "LeakyRelu" => _b.Node("LeakyRelu", [x.Name], new Dictionary<string, object> { ["alpha"] = node.Float("leakyrelu_alpha") ?? node.Float("alpha") ?? 0.2f }),
                "Prelu" => Prelu(node.Name, x.Name, ChannelConstant(node, Weight(node, alphaInput), x)),
                _ => throw new ModelException($"{model.Path}: node '{node.Name}' ({node.Op}) uses activation '{activation}', which the TF.js importer does not support"),
            };
            return x with { Name = name };
        }

        /// <summary>A per-channel constant broadcast against a 4-D NCHW tensor: [C] (or Keras' [1, 1, C]) becomes [C, 1, 1].</summary>
        private string ChannelConstant(TfjsNode node, TfjsWeight w, Value against) =>
            against.Rank == 4 && against.Nchw && IsPerChannel(w)
                ? _b.Float(node.Name + "/c", w.Floats!, w.Shape[^1], 1, 1)
                : _b.Float(node.Name + "/c", w.Floats!, w.Shape);

        private static bool IsPerChannel(TfjsWeight w) => w.Shape.Length >= 1 && w.Shape[..^1].All(d => d == 1);

        private Value Pool(TfjsNode node)
        {
            var x = Get(node.Inputs[0]);
            var k = node.Ints("ksize") ?? throw new ModelException($"{model.Path}: pool '{node.Name}' has no ksize");
            var s = node.Ints("strides") ?? [1, 1, 1, 1];
            var (oh, ow, pads) = Window(node, x.Shape[1], x.Shape[2], k[1], k[2], s[1], s[2], 1, 1);
            var attrs = new Dictionary<string, object> { ["kernel_shape"] = new[] { k[1], k[2] }, ["strides"] = new[] { s[1], s[2] } };
            AddPads(attrs, pads);
            // TF's average pooling leaves padding out of the count, as ONNX AveragePool does by default.
            var name = _b.Node(node.Op == "MaxPool" ? "MaxPool" : "AveragePool", [Nchw(x)], attrs);
            return new Value(name, [x.Shape[0], oh, ow, x.Shape[3]], Nchw: true);
        }

        private Value Binary(TfjsNode node)
        {
            if (ClipOf(node) is { } clip)
            {
                return clip;
            }
            var op = node.Op switch
            {
                "Add" or "AddV2" or "BiasAdd" => "Add",
                "Sub" => "Sub",
                "Mul" => "Mul",
                "RealDiv" => "Div",
                "Maximum" => "Max",
                _ => "Min",
            };
            var constB = IsConstant(node.Inputs[1]);
            var a = Get(node.Inputs[0]);
            if (a.Rank == 4 && constB)
            {
                var w = Weight(node, 1);
                if (w.Floats is not null && (w.Shape.Length <= 1))
                {
                    var c = w.Shape.Length == 1 && a.Nchw ? _b.Float(node.Name + "/c", w.Floats, w.Shape[0], 1, 1) : _b.Float(node.Name + "/c", w.Floats, w.Shape);
                    return a with { Name = _b.Node(op, [a.Name, c]) };
                }
            }
            var b = Get(node.Inputs[1]);
            if (a.Rank == 4 && b.Rank == 4)
            {
                return new Value(_b.Node(op, [Nchw(a), Nchw(b)]), a.Shape.Zip(b.Shape, Math.Max).ToArray(), Nchw: true);
            }
            // Mixed ranks broadcast on TensorFlow's trailing (channel-last) axes.
            var shape = a.Rank >= b.Rank ? a.Shape : b.Shape;
            return new Value(_b.Node(op, [Nhwc(a), Nhwc(b)]), shape, Nchw: false);
        }

        /// <summary>
        /// Keras' ReLU with a ceiling as TF.js writes it, maximum(minimum(x or relu(x), c), 0) with c >= 0, as one Clip
        /// to [0, c]: the same values, and ONNX Runtime folds a Clip into the convolution before it where the two-node
        /// form cost HSE FaceRes a quarter of its time (docs/decisions.md, "Model toolchain"). Null for any other node.
        /// </summary>
        private Value? ClipOf(TfjsNode node)
        {
            if (node.Op != "Maximum" || ScalarConstant(node, 1) is not 0f
                || !_nodes.TryGetValue(node.Inputs[0].Split(':')[0], out var minimum) || minimum.Op != "Minimum"
                || ScalarConstant(minimum, 1) is not (>= 0f and var ceiling))
            {
                return null;
            }
            var below = minimum.Inputs[0].Split(':')[0];
            var x = Get(_nodes.TryGetValue(below, out var relu) && relu.Op == "Relu" ? relu.Inputs[0] : minimum.Inputs[0]);
            return x with { Name = _b.Node("Clip", [x.Name, _b.Float(node.Name + "/min", [0f]), _b.Float(node.Name + "/max", [ceiling])]) };
        }

        /// <summary>The single value of a constant input, or null when the input is not a one-value constant.</summary>
        private float? ScalarConstant(TfjsNode node, int input) =>
            node.Inputs.Count > input && IsConstant(node.Inputs[input]) && Weight(node, input).Floats is [var value] ? value : null;

        private bool IsConstant(string reference) =>
            _nodes.TryGetValue(reference.Split(':')[0], out var n) && (n.Op == "Const" || (n.Op == "Identity" && IsConstant(n.Inputs[0])));

        private Value Unary(TfjsNode node)
        {
            var x = Get(node.Inputs[0]);
            return Activation(node, node.Op, x, alphaInput: -1);
        }

        /// <summary>A standalone PReLU (Keras PReLU with shared spatial axes: alpha [1, 1, C], one slope per channel).</summary>
        private Value Prelu(TfjsNode node)
        {
            var x = Get(node.Inputs[0]);
            var w = Weight(node, 1);
            if (x.Rank == 4 && x.Nchw && IsPerChannel(w))
            {
                return x with { Name = Prelu(node.Name, x.Name, ChannelConstant(node, w, x)) };
            }
            // Any other slope shape broadcasts on TensorFlow's own (channel-last) axes.
            return new Value(Prelu(node.Name, Nhwc(x), _b.Float(node.Name + "/c", w.Floats!, w.Shape)), x.Shape, Nchw: false);
        }

        /// <summary>
        /// PReLU written as max(x, 0) + slope * min(x, 0): the same values (one of the two terms is an exact zero), and
        /// ONNX Runtime's CPU runs it 3x faster than its PRelu kernel, which also cuts the convolutions' blocked layout
        /// around every activation (docs/decisions.md, "Model toolchain").
        /// </summary>
        private string Prelu(string nodeName, string x, string slope)
        {
            var zero = _b.Float(nodeName + "/zero", [0f]);
            var negative = _b.Node("Mul", [_b.Node("Min", [x, zero]), slope]);
            return _b.Node("Add", [_b.Node("Max", [x, zero]), negative]);
        }

        /// <summary>Zero padding; TensorFlow's paddings are [rank, 2] (begin, end per axis), ONNX's all begins then all ends.</summary>
        private Value Pad(TfjsNode node)
        {
            var x = Get(node.Inputs[0]);
            var p = Weight(node, 1).Ints ?? throw new ModelException($"{model.Path}: node '{node.Name}': paddings must be integers");
            if (p.Length != 2 * x.Rank)
            {
                throw new ModelException($"{model.Path}: node '{node.Name}': {p.Length} paddings for a rank-{x.Rank} tensor");
            }
            var nchw = x.Rank == 4;
            var order = nchw ? ToNchw : Enumerable.Range(0, x.Rank).Select(i => (long)i).ToArray();
            var pads = order.Select(a => (long)p[2 * a]).Concat(order.Select(a => (long)p[(2 * a) + 1])).ToArray();
            var name = _b.Node("Pad", [nchw ? Nchw(x) : x.Name, _b.Int64(node.Name + "/pads", pads, pads.Length)]);
            var shape = x.Shape.Select((d, i) => d < 0 ? -1 : d + p[2 * i] + p[(2 * i) + 1]).ToArray();
            return new Value(name, shape, Nchw: nchw);
        }

        private Value Mean(TfjsNode node)
        {
            var x = Get(node.Inputs[0]);
            var axes = Weight(node, 1).Ints?.Select(a => (long)(a < 0 ? a + x.Rank : a)).ToArray()
                ?? throw new ModelException($"{model.Path}: node '{node.Name}': reduction axes must be integers");
            var keep = node.Bool("keep_dims") ?? false;
            var spatialOnly = axes.Order().SequenceEqual([1L, 2L]);
            var nchw = x.Rank == 4 && x.Nchw && (keep || spatialOnly);
            var onnxAxes = nchw ? axes.Select(a => ToNchwAxis(a)).ToArray() : axes;
            var input = nchw ? x.Name : Nhwc(x);
            var name = _b.Node("ReduceMean", [input], new Dictionary<string, object> { ["axes"] = onnxAxes, ["keepdims"] = keep ? 1L : 0L });
            var shape = keep ? x.Shape.Select((d, i) => axes.Contains(i) ? 1 : d).ToArray() : x.Shape.Where((_, i) => !axes.Contains(i)).ToArray();
            return new Value(name, shape, Nchw: keep && nchw);
        }

        private static long ToNchwAxis(long nhwcAxis) => nhwcAxis switch { 0 => 0, 1 => 2, 2 => 3, _ => 1 };

        private Value Softmax(TfjsNode node)
        {
            var x = Get(node.Inputs[0]);
            return new Value(_b.Node("Softmax", [Nhwc(x)], new Dictionary<string, object> { ["axis"] = -1L }), x.Shape, Nchw: false);
        }

        private Value Reshape(TfjsNode node)
        {
            var x = Get(node.Inputs[0]);
            var target = Weight(node, 1).Ints?.Select(i => (long)i).ToArray() ?? throw new ModelException($"{model.Path}: node '{node.Name}': reshape target must be integers");
            var onnxTarget = target.Select((d, i) => i == 0 && d > 0 && x.Shape[0] < 0 ? -1 : d).ToArray();
            var name = _b.Node("Reshape", [Nhwc(x), _b.Int64(node.Name + "/shape", onnxTarget, onnxTarget.Length)]);
            return new Value(name, onnxTarget, Nchw: false);
        }

        private Value Concat(TfjsNode node)
        {
            var parts = node.Inputs.Take(node.Inputs.Count - 1).Select(Get).ToList();
            var axis = (long)Weight(node, node.Inputs.Count - 1).Ints![0];
            var rank = parts[0].Rank;
            axis = axis < 0 ? axis + rank : axis;
            var nchw = rank == 4;
            var names = parts.Select(p => nchw ? Nchw(p) : Nhwc(p)).ToList();
            var name = _b.Node("Concat", names, new Dictionary<string, object> { ["axis"] = nchw ? ToNchwAxis(axis) : axis });
            var shape = parts[0].Shape.ToArray();
            shape[axis] = parts.Any(p => p.Shape[axis] < 0) ? -1 : parts.Sum(p => p.Shape[axis]);
            return new Value(name, shape, Nchw: nchw);
        }
    }
}
