using System.Globalization;
using EmmaNet.Batch.Onnx;
using EmmaNet.Batch.Onnx.Proto;
using DataType = EmmaNet.Batch.Onnx.Proto.TensorProto.Types.DataType;

namespace EmmaNet.Batch.Fusion;

/// <summary>
/// Writes a fusion network as ONNX with the contract of EMMA-NET.md section 3: inputs <c>face_seq [N,T,D_f]</c>,
/// <c>audio_seq [N,T,D_a]</c>, <c>pose_seq [N,T,D_p]</c>, <c>face_now [N,D_f]</c>, <c>mask [N,T,3]</c> (1 present, 0 absent);
/// outputs <c>probs [N,8]</c>, <c>attn_face</c>, <c>attn_audio</c>, <c>attn_pose [N,T]</c> (zeros for variants without
/// attention). The batch is symbolic; the encoders are ONNX GRU operators; metadata records T, the variant, the
/// sizes, the class names and the feature extractors the model was trained on. Opset 17.
/// </summary>
public static class FusionExport
{


    public static ModelProto Build(FusionNetwork network, IReadOnlyDictionary<string, string> extractors, string? training = null)
    {
        var c = network.Config;
        var b = new OnnxGraphBuilder("emmanet_fusion");
        string[] seqInputs =
        [
            b.AddInput("face_seq", DataType.Float, "N", c.Steps, c.FaceSize),
            b.AddInput("audio_seq", DataType.Float, "N", c.Steps, c.AudioSize),
            b.AddInput("pose_seq", DataType.Float, "N", c.Steps, c.PoseSize),
        ];
        var rawFaceNow = b.AddInput("face_now", DataType.Float, "N", c.FaceSize);
        var mask = b.AddInput("mask", DataType.Float, "N", c.Steps, 3);
        var norm = network.Normalization;
        string Standardise(string x, int m) => b.Node("Mul", [b.Node("Sub", [x, b.Float($"norm_{Modalities.Names[m]}_mean", norm.Mean[m], norm.Mean[m].Length)]), b.Float($"norm_{Modalities.Names[m]}_scale", norm.Scale[m], norm.Scale[m].Length)]);
        var faceNow = Standardise(rawFaceNow, 0);

        // Shared constants, made on first use so no variant carries ones it does not need.
        string? one = null, zero = null, axis1 = null;
        string One() => one ??= b.Float("one", [1f]);
        string Zero() => zero ??= b.Float("zero", [0f]);
        string Axis1() => axis1 ??= b.Int64("axis1", [1L], 1);
        var lastAxis = b.Int64("last_axis", [-1L], 1);
        var contexts = new string[3];
        var attention = new string[3];
        for (var m = 0; m < 3; m++)
        {
            // The modality's mask [N, T].
            var present = b.Node("Squeeze", [b.Node("Slice", [mask, b.Int64($"m{m}_from", [(long)m], 1), b.Int64($"m{m}_to", [(long)m + 1], 1), b.Int64($"m{m}_axis", [2L], 1)]), lastAxis]);
            if (!c.UsesEncoders)
            {
                attention[m] = b.Node("Mul", [present, Zero()]);
                continue;
            }
            // The encoder's input per step: standardised features zeroed where absent, then presence and position as configured.
            var presence = b.Node("Unsqueeze", [present, lastAxis]);   // [N, T, 1]
            List<string> inputParts = [b.Node("Mul", [Standardise(seqInputs[m], m), presence])];
            if (c.PresenceInput)
            {
                inputParts.Add(presence);
            }
            if (c.StepPosition)
            {
                var positions = Enumerable.Range(0, c.Steps).Select(t => (float)c.Position(t)).ToArray();
                inputParts.Add(b.Node("Add", [b.Node("Mul", [presence, Zero()]), b.Float($"position_{m}", positions, 1, c.Steps, 1)]));
            }
            var encoderInput = inputParts.Count == 1 ? inputParts[0] : b.Node("Concat", inputParts, new Dictionary<string, object> { ["axis"] = 2L });
            var h = Encode(b, network.Encoders[m], encoderInput, $"enc_{Modalities.Names[m]}");   // [N, T, h]
            var count = b.Node("Max", [b.Node("ReduceSum", [present, Axis1()], new Dictionary<string, object> { ["keepdims"] = 1L }), One()]);
            var masked = b.Node("Mul", [h, b.Node("Unsqueeze", [present, lastAxis])]);
            var mean = b.Node("Div", [b.Node("ReduceSum", [masked, Axis1()], new Dictionary<string, object> { ["keepdims"] = 0L }), count]);   // [N, h]
            switch (c.Variant)
            {
                case FusionVariant.Attention or FusionVariant.Context:
                    (contexts[m], attention[m]) = Attend(b, network, m, h, faceNow, present);
                    break;
                case FusionVariant.Concat:
                    contexts[m] = mean;
                    break;
                case FusionVariant.Additive:
                    var mix = network.ModalityMix.Value;
                    var max = mix.Max();
                    var beta = Math.Exp(mix[m] - max) / mix.Sum(v => Math.Exp(v - max));
                    contexts[m] = b.Node("Mul", [mean, b.Float($"beta_{m}", [(float)beta])]);
                    break;
                default:
                    var a = network.GateWeights[m];
                    var gate = b.Node("Sigmoid", [b.Node("Add", [b.Node("MatMul", [mean, b.Float($"gate_a_{m}", ToFloat(a.Value), a.Value.Length, 1)]), b.Float($"gate_c_{m}", [(float)network.GateBiases[m].Value[0]])])]);
                    contexts[m] = b.Node("Mul", [mean, gate]);
                    break;
            }
            attention[m] ??= b.Node("Mul", [present, Zero()]);
        }

        var parts = new List<string>();
        if (c.UsesFaceNow)
        {
            parts.Add(faceNow);
        }
        if (c.UsesEncoders)
        {
            parts.AddRange(contexts);
        }
        var z = parts.Count == 1 ? parts[0] : b.Node("Concat", parts, new Dictionary<string, object> { ["axis"] = 1L });
        var (w1, b1, w2, b2) = network.Head;
        var hidden = b.Node("Relu", [b.Node("Gemm", [z, b.Float("head_W1", ToFloat(w1.Value), w1.Shape[0], w1.Shape[1]), b.Float("head_b1", ToFloat(b1.Value), b1.Shape[0])], new Dictionary<string, object> { ["transB"] = 1L })]);
        var logits = b.Node("Gemm", [hidden, b.Float("head_W2", ToFloat(w2.Value), w2.Shape[0], w2.Shape[1]), b.Float("head_b2", ToFloat(b2.Value), b2.Shape[0])], new Dictionary<string, object> { ["transB"] = 1L });
        b.Node("Softmax", [logits], new Dictionary<string, object> { ["axis"] = 1L }, "probs");
        b.AddOutput("probs", DataType.Float, "N", c.Classes);
        string[] names = ["attn_face", "attn_audio", "attn_pose"];
        for (var m = 0; m < 3; m++)
        {
            b.Node("Identity", [attention[m]], output: names[m]);
            b.AddOutput(names[m], DataType.Float, "N", c.Steps);
        }

        var inv = CultureInfo.InvariantCulture;
        b.Metadata["emmanet.fusion.format"] = "1";
        b.Metadata["emmanet.fusion.steps"] = c.Steps.ToString(inv);
        b.Metadata["emmanet.fusion.variant"] = c.Variant.ToString().ToLowerInvariant();
        b.Metadata["emmanet.fusion.face_size"] = c.FaceSize.ToString(inv);
        b.Metadata["emmanet.fusion.audio_size"] = c.AudioSize.ToString(inv);
        b.Metadata["emmanet.fusion.pose_size"] = c.PoseSize.ToString(inv);
        b.Metadata["emmanet.fusion.classes"] = string.Join(",", AbawExpressions.Classes.Take(c.Classes));
        b.Metadata["emmanet.fusion.hidden"] = c.Hidden.ToString(inv);
        if (training is not null)
        {
            b.Metadata["emmanet.fusion.training"] = training;
        }
        foreach (var (key, value) in extractors)
        {
            b.Metadata["emmanet.extractor." + key] = value;
        }
        return b.Build("EmmaNet.Batch fusion export");
    }

    /// <summary>The GRU stack as ONNX GRU operators: [N, T, D] in, [N, T, directions * hidden] out.</summary>
    private static string Encode(OnnxGraphBuilder b, GruEncoder encoder, string input, string name)
    {
        var x = b.Node("Transpose", [input], new Dictionary<string, object> { ["perm"] = new long[] { 1, 0, 2 } });   // [T, N, D]
        for (var l = 0; l < encoder.Layers.Count; l++)
        {
            var layer = encoder.Layers[l];
            var hidden = layer[0].R.Shape[1];
            var inputSize = layer[0].W.Shape[1];
            var w = layer.SelectMany(d => ToFloat(d.W.Value)).ToArray();
            var r = layer.SelectMany(d => ToFloat(d.R.Value)).ToArray();
            var bias = layer.SelectMany(d => ToFloat(d.Wb.Value).Concat(ToFloat(d.Rb.Value))).ToArray();
            var outputs = b.NodeMulti("GRU",
                [x, b.Float($"{name}_l{l}_W", w, layer.Length, 3 * hidden, inputSize), b.Float($"{name}_l{l}_R", r, layer.Length, 3 * hidden, hidden), b.Float($"{name}_l{l}_B", bias, layer.Length, 6 * hidden)],
                1,
                new Dictionary<string, object>
                {
                    ["hidden_size"] = (long)hidden,
                    ["direction"] = layer.Length == 2 ? "bidirectional" : "forward",
                    ["linear_before_reset"] = 1L,
                });
            // Y [T, directions, N, hidden] -> [T, N, directions * hidden], forward then backward as in C#.
            var y = b.Node("Transpose", [outputs[0]], new Dictionary<string, object> { ["perm"] = new long[] { 0, 2, 1, 3 } });
            x = b.Node("Reshape", [y, b.Int64($"{name}_l{l}_shape", [0L, 0L, -1L], 3)]);
        }
        return b.Node("Transpose", [x], new Dictionary<string, object> { ["perm"] = new long[] { 1, 0, 2 } });
    }

    /// <summary>Eq. 4-5 with the mask: absent steps get -1e9 before the softmax and are zeroed after it, so a modality absent at every step gives alpha = 0 and C = 0.</summary>
    private static (string Context, string Alpha) Attend(OnnxGraphBuilder b, FusionNetwork network, int m, string h, string faceNow, string present)
    {
        var wq = network.QueryWeights[m];
        var wk = network.KeyWeights[m];
        var queries = b.Node("MatMul", [h, b.Float($"att_{m}_WQ", ToFloat(wq.Value), wq.Shape[0], wq.Shape[1])]);   // [N, T, dk]
        var key = b.Node("MatMul", [faceNow, b.Float($"att_{m}_WK", ToFloat(wk.Value), wk.Shape[0], wk.Shape[1])]);   // [N, dk]
        var scores = b.Node("MatMul", [queries, b.Node("Unsqueeze", [key, b.Int64($"att_{m}_axis", [-1L], 1)])]);   // [N, T, 1]
        var scaled = b.Node("Mul", [b.Node("Squeeze", [scores, b.Int64($"att_{m}_sq", [-1L], 1)]), b.Float($"att_{m}_scale", [(float)(1 / Math.Sqrt(wq.Shape[1]))])]);
        var penalty = b.Node("Mul", [b.Node("Sub", [present, b.Float($"att_{m}_one", [1f])]), b.Float($"att_{m}_big", [1e9f])]);
        var alpha = b.Node("Mul", [b.Node("Softmax", [b.Node("Add", [scaled, penalty])], new Dictionary<string, object> { ["axis"] = 1L }), present]);
        var context = b.Node("Squeeze", [b.Node("MatMul", [b.Node("Unsqueeze", [alpha, b.Int64($"att_{m}_ax1", [1L], 1)]), h]), b.Int64($"att_{m}_sq1", [1L], 1)]);
        return (context, alpha);
    }

    private static float[] ToFloat(double[] values) => values.Select(v => (float)v).ToArray();
}
