using System.Numerics.Tensors;

namespace EmmaNet.Batch.Fusion.Batched;

/// <summary>
/// The fusion network's forward pass, losses and backward pass over a batch of windows in float32, with
/// <see cref="FusionNetwork"/>'s exact semantics (the double-precision reference it is tested against). One pass
/// object per thread: it owns every intermediate buffer, reused from batch to batch. A batch is whole runs of
/// consecutive windows (L_smooth couples neighbours); each run's loss is taken as the reference takes it.
/// </summary>
internal sealed class FusionBatchPass
{
    private readonly FusionParameters _p;
    private readonly FusionConfig _c;
    private readonly FusionNetwork _ref;
    private readonly BatchedGru[][][] _encoders;   // [modality][layer][direction]
    private readonly float[][][] _layerOut;         // [modality][layer] -> [T*B, width]
    private readonly float[][][] _layerGrad;        // [modality][layer] -> dL/d(layer output)
    private readonly float[][] _input = new float[3][];   // [modality] -> [T*B, EncoderInput]: standardised, presence, position
    private readonly float[][] _mean = new float[3][];
    private readonly int[][] _count = new int[3][];
    private readonly float[][] _key = new float[3][];
    private readonly float[][] _queries = new float[3][];
    private readonly float[][] _alpha = new float[3][];
    private readonly float[][] _dKey = new float[3][];
    private readonly float[][] _dQueries = new float[3][];
    private readonly float[][] _recPred = new float[3][];
    private readonly float[][] _dPred = new float[3][];
    private readonly float[] _beta = new float[3];
    private float[] _faceNow = [];
    private float[] _gate = [];
    private float[] _z = [];
    private float[] _a1 = [];
    private float[] _drop = [];
    private float[] _h1 = [];
    private float[] _logits = [];
    private float[] _probs = [];
    private float[] _dLogits = [];
    private float[] _dH1 = [];
    private float[] _dz = [];
    private float[] _targets = [];
    private float[] _scratch = [];
    private int[] _runStart = [];
    private int _capacity;

    public FusionBatchPass(FusionParameters parameters)
    {
        _p = parameters;
        _ref = parameters.Reference;
        _c = _ref.Config;
        Batch = new WindowBatch(_c);
        _encoders = _ref.Encoders.Select(e => e.Layers.Select(l => l.Select(d => new BatchedGru(d, parameters)).ToArray()).ToArray()).ToArray();
        _layerOut = _encoders.Select(e => new float[e.Length][]).ToArray();
        _layerGrad = _encoders.Select(e => new float[e.Length][]).ToArray();
    }

    public WindowBatch Batch { get; }

    /// <summary>Number of runs in the batch.</summary>
    public int Runs { get; private set; }

    /// <summary>Each window's class probabilities [B, classes] after <see cref="Forward"/>.</summary>
    public ReadOnlySpan<float> Probabilities => _probs.AsSpan(0, Batch.Count * _c.Classes);

    /// <summary>Modality m's attention [B, T] after <see cref="Forward"/> (zeros without attention).</summary>
    public ReadOnlySpan<float> Attention(int m) => _alpha[m].AsSpan(0, Batch.Count * _c.Steps);

    /// <summary>
    /// Gathers whole runs into the batch, their targets (one-hot labels, or the soft targets) and, when
    /// <paramref name="dropoutSeeds"/> is given, each run's dropout mask drawn as the reference draws it (a
    /// <see cref="Random"/> per run, window by window, unit by unit).
    /// </summary>
    /// <remarks>With <paramref name="faceDropout"/> and dropout seeds, each window first draws whether its current face is hidden (f_c becomes the mean face, the tick's own face step absent).</remarks>
    public void Load(IReadOnlyList<LabelledRun> runs, IReadOnlyList<int>? dropoutSeeds, double faceDropout = 0)
    {
        var count = runs.Sum(r => r.Windows.Count);
        Batch.Reset(count);
        EnsureCapacity(count);
        Runs = runs.Count;
        if (_runStart.Length < runs.Count + 1)
        {
            _runStart = new int[runs.Count + 1];
        }
        var classes = _c.Classes;
        var slot = 0;
        for (var r = 0; r < runs.Count; r++)
        {
            _runStart[r] = slot;
            var run = runs[r];
            var random = dropoutSeeds is null ? null : new Random(dropoutSeeds[r]);
            for (var i = 0; i < run.Windows.Count; i++, slot++)
            {
                Batch.Put(run.Windows, i, slot);
                if (random is not null && faceDropout > 0 && random.NextDouble() < faceDropout)
                {
                    HideCurrentFace(slot);
                }
                var target = _targets.AsSpan(slot * classes, classes);
                target.Clear();
                if (run.Targets is { } soft)
                {
                    for (var k = 0; k < classes; k++)
                    {
                        target[k] = (float)soft[i][k];
                    }
                }
                else
                {
                    target[run.Labels[i]] = 1;
                }
                var drop = _drop.AsSpan(slot * _c.HeadHidden, _c.HeadHidden);
                if (random is null)
                {
                    drop.Fill(1);
                }
                else
                {
                    for (var j = 0; j < drop.Length; j++)
                    {
                        drop[j] = random.NextDouble() < _c.Dropout ? 0f : (float)(1 / (1 - _c.Dropout));
                    }
                }
            }
        }
        _runStart[runs.Count] = slot;
    }

    private void HideCurrentFace(int slot)
    {
        _ref.Normalization.Mean[0].CopyTo(Batch.FaceNowOf(slot));
        var own = _c.Steps / 2;
        Batch.FaceStep(slot, own).Clear();
        Batch.SetPresent(slot, own, false, Batch.IsPresent(slot, own, 1), Batch.IsPresent(slot, own, 2));
    }

    public void Forward(PreparedWeights w)
    {
        var (c, n, steps) = (_c, Batch.Count, _c.Steps);
        var f = c.FusedSize;
        var z = _z.AsSpan(0, n * f);
        var offset = 0;
        PrepareInputs();
        if (c.UsesFaceNow)
        {
            for (var b = 0; b < n; b++)
            {
                _faceNow.AsSpan(b * c.FaceSize, c.FaceSize).CopyTo(z.Slice(b * f, c.FaceSize));
            }
            offset = c.FaceSize;
        }
        for (var m = 0; m < 3; m++)
        {
            _alpha[m].AsSpan(0, n * steps).Clear();
        }
        if (c.UsesEncoders)
        {
            for (var m = 0; m < 3; m++)
            {
                var e = c.Encoding(m);
                var h = Encode(w, m);
                MaskedMean(m, h, e);
                var mean = _mean[m];
                switch (c.Variant)
                {
                    case FusionVariant.Attention or FusionVariant.Context:
                        Attend(m, h, e, z, f, offset);
                        break;
                    case FusionVariant.Concat:
                        Place(mean, e, 1, z, f, offset);
                        break;
                    case FusionVariant.Additive:
                        Softmax(_p.Of(_ref.ModalityMix), _beta);
                        Place(mean, e, _beta[m], z, f, offset);
                        break;
                    default:
                        var a = _p.Of(_ref.GateWeights[m]);
                        var bias = _p.Of(_ref.GateBiases[m])[0];
                        for (var b = 0; b < n; b++)
                        {
                            var g = 1 / (1 + MathF.Exp(-(TensorPrimitives.Dot(a, mean.AsSpan(b * e, e)) + bias)));
                            _gate[(b * 3) + m] = g;
                            TensorPrimitives.Multiply(mean.AsSpan(b * e, e), g, z.Slice((b * f) + offset, e));
                        }
                        break;
                }
                offset += e;
            }
        }
        var (w1, b1, w2, b2) = _ref.Head;
        var hh = c.HeadHidden;
        var a1 = _a1.AsSpan(0, n * hh);
        Affine(z, n, f, w.Transposed(w1), _p.Of(b1), a1);
        var h1 = _h1.AsSpan(0, n * hh);
        TensorPrimitives.Max(a1, 0f, h1);
        TensorPrimitives.Multiply(h1, _drop.AsSpan(0, n * hh), h1);
        var logits = _logits.AsSpan(0, n * c.Classes);
        Affine(h1, n, hh, w.Transposed(w2), _p.Of(b2), logits);
        for (var b = 0; b < n; b++)
        {
            Softmax(logits.Slice(b * c.Classes, c.Classes), _probs.AsSpan(b * c.Classes, c.Classes));
        }
        if (c.UsesEncoders)
        {
            var (dec, decB) = _ref.Decoders;
            for (var m = 0; m < 3; m++)
            {
                Affine(z, n, f, w.Transposed(dec[m]), _p.Of(decB[m]), _recPred[m].AsSpan(0, n * c.Encoding(m)));
            }
        }
    }

    /// <summary>
    /// Each run's loss (as <see cref="FusionNetwork.Loss"/> computes it) into <paramref name="runLosses"/>; with
    /// <paramref name="grad"/>, the gradient of (sum of run losses) * <paramref name="scale"/> is added to it.
    /// </summary>
    public void LossAndBackward(PreparedWeights w, LossSettings settings, Span<double> runLosses, float[]? grad, float scale)
    {
        var (c, n, classes) = (_c, Batch.Count, _c.Classes);
        var dLogits = _dLogits.AsSpan(0, n * classes);
        var recWeight = c.UsesEncoders ? settings.ReconstructionWeight : 0;
        for (var r = 0; r < Runs; r++)
        {
            var (start, end) = (_runStart[r], _runStart[r + 1]);
            var len = end - start;
            double loss = 0;
            for (var i = start; i < end; i++)
            {
                var p = _probs.AsSpan(i * classes, classes);
                var target = _targets.AsSpan(i * classes, classes);
                double weight = 1;
                if (settings.ClassWeights is { } cw)
                {
                    weight = 0;
                    for (var k = 0; k < classes; k++)
                    {
                        weight += cw[k] * target[k];
                    }
                }
                double ce = 0;
                for (var k = 0; k < classes; k++)
                {
                    if (target[k] != 0)
                    {
                        ce += target[k] * Math.Log(Math.Max(p[k], 1e-300));
                    }
                    dLogits[(i * classes) + k] = (float)(scale * weight * (p[k] - target[k]) / len);
                }
                loss -= weight * ce / len;
            }
            if (len > 1 && settings.SmoothWeight > 0)
            {
                var dProb = _scratch.AsSpan(0, len * classes);
                dProb.Clear();
                for (var i = start + 1; i < end; i++)
                {
                    for (var k = 0; k < classes; k++)
                    {
                        var diff = _probs[(i * classes) + k] - _probs[((i - 1) * classes) + k];
                        loss += settings.SmoothWeight * Math.Abs(diff) / (len - 1);
                        var g = (float)(scale * settings.SmoothWeight * Math.Sign(diff) / (len - 1));
                        dProb[((i - start) * classes) + k] += g;
                        dProb[((i - 1 - start) * classes) + k] -= g;
                    }
                }
                for (var i = start; i < end; i++)
                {
                    var p = _probs.AsSpan(i * classes, classes);
                    var dp = dProb.Slice((i - start) * classes, classes);
                    var dot = TensorPrimitives.Dot(p, dp);
                    for (var k = 0; k < classes; k++)
                    {
                        dLogits[(i * classes) + k] += p[k] * (dp[k] - dot);
                    }
                }
            }
            if (recWeight > 0)
            {
                for (var m = 0; m < 3; m++)
                {
                    var e = c.Encoding(m);
                    for (var i = start; i < end; i++)
                    {
                        var pred = _recPred[m].AsSpan(i * e, e);
                        var mean = _mean[m].AsSpan(i * e, e);
                        double sq = 0;
                        for (var j = 0; j < e; j++)
                        {
                            var d = pred[j] - mean[j];
                            sq += d * d;
                            _dPred[m][(i * e) + j] = (float)(scale * recWeight / len * 2 * d / e);
                        }
                        loss += recWeight * sq / e / len;
                    }
                }
            }
            runLosses[r] = loss;
        }
        if (grad is not null)
        {
            Backward(w, grad, recWeight > 0);
        }
    }

    private void Backward(PreparedWeights w, float[] grad, bool reconstruction)
    {
        var (c, n, classes) = (_c, Batch.Count, _c.Classes);
        var (f, hh) = (c.FusedSize, c.HeadHidden);
        var (w1, b1, w2, b2) = _ref.Head;
        var dLogits = _dLogits.AsSpan(0, n * classes);
        var h1 = _h1.AsSpan(0, n * hh);
        var z = _z.AsSpan(0, n * f);
        Sgemm.MultiplyTransposedA(classes, hh, n, dLogits, classes, h1, hh, _p.Of(grad, w2), hh, accumulate: true);
        BatchedGru.AddColumnSums(dLogits, n, classes, _p.Of(grad, b2));
        var dH1 = _dH1.AsSpan(0, n * hh);
        Sgemm.Multiply(n, hh, classes, dLogits, classes, _p.Of(w2), hh, dH1, hh, accumulate: false);
        var a1 = _a1.AsSpan(0, n * hh);
        var drop = _drop.AsSpan(0, n * hh);
        for (var i = 0; i < dH1.Length; i++)
        {
            dH1[i] = a1[i] > 0 ? dH1[i] * drop[i] : 0;
        }
        Sgemm.MultiplyTransposedA(hh, f, n, dH1, hh, z, f, _p.Of(grad, w1), f, accumulate: true);
        BatchedGru.AddColumnSums(dH1, n, hh, _p.Of(grad, b1));
        if (!c.UsesEncoders)
        {
            return;
        }
        var dz = _dz.AsSpan(0, n * f);
        Sgemm.Multiply(n, f, hh, dH1, hh, _p.Of(w1), f, dz, f, accumulate: false);
        var (dec, decB) = _ref.Decoders;
        if (reconstruction)
        {
            for (var m = 0; m < 3; m++)
            {
                var e = c.Encoding(m);
                var dPred = _dPred[m].AsSpan(0, n * e);
                Sgemm.MultiplyTransposedA(e, f, n, dPred, e, z, f, _p.Of(grad, dec[m]), f, accumulate: true);
                BatchedGru.AddColumnSums(dPred, n, e, _p.Of(grad, decB[m]));
                Sgemm.Multiply(n, f, e, dPred, e, _p.Of(dec[m]), f, dz, f, accumulate: true);
            }
        }
        var offset = c.UsesFaceNow ? c.FaceSize : 0;
        if (c.Variant == FusionVariant.Additive)
        {
            // C_m = beta_m M_m, beta = softmax(v): dv = beta (dbeta - beta . dbeta).
            Span<float> dBeta = stackalloc float[3];
            var at = offset;
            for (var m = 0; m < 3; m++)
            {
                var e = c.Encoding(m);
                for (var b = 0; b < n; b++)
                {
                    dBeta[m] += TensorPrimitives.Dot(dz.Slice((b * f) + at, e), _mean[m].AsSpan(b * e, e));
                }
                at += e;
            }
            var dot = TensorPrimitives.Dot(_beta, dBeta);
            var dMix = _p.Of(grad, _ref.ModalityMix);
            for (var m = 0; m < 3; m++)
            {
                dMix[m] += _beta[m] * (dBeta[m] - dot);
            }
        }
        var steps = c.Steps;
        for (var m = 0; m < 3; m++)
        {
            var e = c.Encoding(m);
            var layers = _encoders[m];
            var top = layers.Length - 1;
            var dH = _layerGrad[m][top].AsSpan(0, steps * n * e);
            dH.Clear();
            var h = _layerOut[m][top].AsSpan(0, steps * n * e);
            if (c.Variant is FusionVariant.Attention or FusionVariant.Context)
            {
                AttendBackward(w, m, h, e, dz, f, offset, dH, grad);
            }
            var dMean = _scratch.AsSpan(0, e);
            var mean = _mean[m];
            for (var b = 0; b < n; b++)
            {
                var dC = dz.Slice((b * f) + offset, e);
                switch (c.Variant)
                {
                    case FusionVariant.Attention or FusionVariant.Context:
                        dMean.Clear();
                        break;
                    case FusionVariant.Concat:
                        dC.CopyTo(dMean);
                        break;
                    case FusionVariant.Additive:
                        TensorPrimitives.Multiply(dC, _beta[m], dMean);
                        break;
                    default:
                        var g = _gate[(b * 3) + m];
                        var a = _p.Of(_ref.GateWeights[m]);
                        var dGate = TensorPrimitives.Dot(dC, mean.AsSpan(b * e, e)) * g * (1 - g);
                        TensorPrimitives.Multiply(dC, g, dMean);
                        TensorPrimitives.MultiplyAdd(a, dGate, dMean, dMean);
                        TensorPrimitives.MultiplyAdd(mean.AsSpan(b * e, e), dGate, _p.Of(grad, _ref.GateWeights[m]), _p.Of(grad, _ref.GateWeights[m]));
                        _p.Of(grad, _ref.GateBiases[m])[0] += dGate;
                        break;
                }
                if (reconstruction)
                {
                    // L_rec's target is the mean itself: its gradient is minus the prediction's.
                    TensorPrimitives.Subtract(dMean, _dPred[m].AsSpan(b * e, e), dMean);
                }
                var count = _count[m][b];
                if (count > 0)
                {
                    var share = 1f / count;
                    for (var t = 0; t < steps; t++)
                    {
                        if (Batch.IsPresent(b, t, m))
                        {
                            var row = dH.Slice(((t * n) + b) * e, e);
                            TensorPrimitives.MultiplyAdd(dMean, share, row, row);
                        }
                    }
                }
            }
            EncodeBackward(w, m, grad);
            offset += e;
        }
    }

    /// <summary>The encoders' inputs and the current faces, standardised (the reference's rules).</summary>
    private void PrepareInputs()
    {
        var (c, n, steps) = (_c, Batch.Count, _c.Steps);
        var norm = _ref.Normalization;
        for (var m = 0; m < 3; m++)
        {
            var (size, width) = (InputSize(m), c.EncoderInput(m));
            var x = Batch.Sequence(m);
            var input = _input[m].AsSpan(0, steps * n * width);
            for (var t = 0; t < steps; t++)
            {
                var position = (float)c.Position(t);
                for (var b = 0; b < n; b++)
                {
                    var row = input.Slice(((t * n) + b) * width, width);
                    var present = Batch.IsPresent(b, t, m);
                    if (present)
                    {
                        TensorPrimitives.Subtract(x.Slice(((t * n) + b) * size, size), norm.Mean[m], row[..size]);
                        TensorPrimitives.Multiply(row[..size], norm.Scale[m], row[..size]);
                    }
                    else
                    {
                        row[..size].Clear();
                    }
                    var at = size;
                    if (c.PresenceInput)
                    {
                        row[at++] = present ? 1 : 0;
                    }
                    if (c.StepPosition)
                    {
                        row[at] = position;
                    }
                }
            }
        }
        var faceNow = _faceNow.AsSpan(0, n * c.FaceSize);
        for (var b = 0; b < n; b++)
        {
            var row = faceNow.Slice(b * c.FaceSize, c.FaceSize);
            TensorPrimitives.Subtract(Batch.FaceNow.Slice(b * c.FaceSize, c.FaceSize), norm.Mean[0], row);
            TensorPrimitives.Multiply(row, norm.Scale[0], row);
        }
    }

    private ReadOnlySpan<float> Encode(PreparedWeights w, int m)
    {
        var (n, steps) = (Batch.Count, _c.Steps);
        var layers = _encoders[m];
        var ldx = _c.EncoderInput(m);
        ReadOnlySpan<float> x = _input[m].AsSpan(0, steps * n * ldx);
        for (var l = 0; l < layers.Length; l++)
        {
            var width = layers[l].Length * layers[l][0].Hidden;
            var output = _layerOut[m][l].AsSpan(0, steps * n * width);
            for (var d = 0; d < layers[l].Length; d++)
            {
                layers[l][d].Forward(w, x, ldx, steps, n, output, width, d * layers[l][0].Hidden);
            }
            x = output;
            ldx = width;
        }
        return x;
    }

    private void EncodeBackward(PreparedWeights w, int m, float[] grad)
    {
        var (n, steps) = (Batch.Count, _c.Steps);
        var layers = _encoders[m];
        for (var l = layers.Length - 1; l >= 0; l--)
        {
            var width = layers[l].Length * layers[l][0].Hidden;
            var ldx = l == 0 ? _c.EncoderInput(m) : InputWidth(m, l);
            ReadOnlySpan<float> x = l == 0 ? _input[m].AsSpan(0, steps * n * ldx) : _layerOut[m][l - 1].AsSpan(0, steps * n * ldx);
            // The first layer's input gradient is the features' gradient: nothing needs it.
            var dx = l == 0 ? Span<float>.Empty : _layerGrad[m][l - 1].AsSpan(0, steps * n * ldx);
            dx.Clear();
            var dOut = _layerGrad[m][l].AsSpan(0, steps * n * width);
            for (var d = 0; d < layers[l].Length; d++)
            {
                layers[l][d].Backward(w, x, ldx, steps, n, dOut, width, d * layers[l][0].Hidden, grad, dx);
            }
        }
    }

    private int InputSize(int m) => m switch { 0 => _c.FaceSize, 1 => _c.AudioSize, _ => _c.PoseSize };

    private int InputWidth(int m, int layer) => _encoders[m][layer - 1].Length * _encoders[m][layer - 1][0].Hidden;

    private void MaskedMean(int m, ReadOnlySpan<float> h, int e)
    {
        var (n, steps) = (Batch.Count, _c.Steps);
        var mean = _mean[m].AsSpan(0, n * e);
        mean.Clear();
        for (var b = 0; b < n; b++)
        {
            var count = 0;
            var row = mean.Slice(b * e, e);
            for (var t = 0; t < steps; t++)
            {
                if (Batch.IsPresent(b, t, m))
                {
                    count++;
                    TensorPrimitives.Add(row, h.Slice(((t * n) + b) * e, e), row);
                }
            }
            if (count > 0)
            {
                TensorPrimitives.Multiply(row, 1f / count, row);
            }
            _count[m][b] = count;
        }
    }

    /// <summary>Eq. 4-5: scores of the present steps against the key of the current face, softmax, weighted sum of H.</summary>
    private void Attend(int m, ReadOnlySpan<float> h, int e, Span<float> z, int f, int offset)
    {
        var (n, steps, dk) = (Batch.Count, _c.Steps, _c.KeySize);
        var key = _key[m].AsSpan(0, n * dk);
        Sgemm.Multiply(n, dk, _c.FaceSize, _faceNow, _c.FaceSize, _p.Of(_ref.KeyWeights[m]), dk, key, dk, accumulate: false);
        var q = _queries[m].AsSpan(0, steps * n * dk);
        Sgemm.Multiply(steps * n, dk, e, h, e, _p.Of(_ref.QueryWeights[m]), dk, q, dk, accumulate: false);
        var scale = (float)(1 / Math.Sqrt(dk));
        Span<float> scores = stackalloc float[steps];
        for (var b = 0; b < n; b++)
        {
            var alpha = _alpha[m].AsSpan(b * steps, steps);
            var max = float.NegativeInfinity;
            for (var t = 0; t < steps; t++)
            {
                if (Batch.IsPresent(b, t, m))
                {
                    scores[t] = TensorPrimitives.Dot(q.Slice(((t * n) + b) * dk, dk), key.Slice(b * dk, dk)) * scale;
                    max = MathF.Max(max, scores[t]);
                }
            }
            var context = z.Slice((b * f) + offset, e);
            context.Clear();
            if (float.IsNegativeInfinity(max))
            {
                continue;
            }
            float sum = 0;
            for (var t = 0; t < steps; t++)
            {
                if (Batch.IsPresent(b, t, m))
                {
                    alpha[t] = MathF.Exp(scores[t] - max);
                    sum += alpha[t];
                }
            }
            for (var t = 0; t < steps; t++)
            {
                if (alpha[t] != 0)
                {
                    alpha[t] /= sum;
                    TensorPrimitives.MultiplyAdd(h.Slice(((t * n) + b) * e, e), alpha[t], context, context);
                }
            }
        }
    }

    private void AttendBackward(PreparedWeights w, int m, ReadOnlySpan<float> h, int e, ReadOnlySpan<float> dz, int f, int offset, Span<float> dH, float[] grad)
    {
        var (n, steps, dk) = (Batch.Count, _c.Steps, _c.KeySize);
        var scale = (float)(1 / Math.Sqrt(dk));
        var key = _key[m].AsSpan(0, n * dk);
        var q = _queries[m].AsSpan(0, steps * n * dk);
        var dQ = _dQueries[m].AsSpan(0, steps * n * dk);
        dQ.Clear();
        var dKey = _dKey[m].AsSpan(0, n * dk);
        dKey.Clear();
        Span<float> dAlpha = stackalloc float[steps];
        for (var b = 0; b < n; b++)
        {
            var alpha = _alpha[m].AsSpan(b * steps, steps);
            var dC = dz.Slice((b * f) + offset, e);
            float mean = 0;
            for (var t = 0; t < steps; t++)
            {
                var row = ((t * n) + b) * e;
                dAlpha[t] = TensorPrimitives.Dot(h.Slice(row, e), dC);
                if (alpha[t] != 0)
                {
                    TensorPrimitives.MultiplyAdd(dC, alpha[t], dH.Slice(row, e), dH.Slice(row, e));
                }
                mean += alpha[t] * dAlpha[t];
            }
            for (var t = 0; t < steps; t++)
            {
                if (!Batch.IsPresent(b, t, m))
                {
                    continue;
                }
                var ds = alpha[t] * (dAlpha[t] - mean) * scale;
                var at = ((t * n) + b) * dk;
                TensorPrimitives.Multiply(key.Slice(b * dk, dk), ds, dQ.Slice(at, dk));
                TensorPrimitives.MultiplyAdd(q.Slice(at, dk), ds, dKey.Slice(b * dk, dk), dKey.Slice(b * dk, dk));
            }
        }
        Sgemm.MultiplyTransposedA(e, dk, steps * n, h, e, dQ, dk, _p.Of(grad, _ref.QueryWeights[m]), dk, accumulate: true);
        Sgemm.Multiply(steps * n, e, dk, dQ, dk, w.Transposed(_ref.QueryWeights[m]), e, dH, e, accumulate: true);
        Sgemm.MultiplyTransposedA(_c.FaceSize, dk, n, _faceNow, _c.FaceSize, dKey, dk, _p.Of(grad, _ref.KeyWeights[m]), dk, accumulate: true);
    }

    /// <summary>y = x W^T + b for rows of x, with W^T prepared: [rows, inWidth] x [inWidth, out].</summary>
    private static void Affine(ReadOnlySpan<float> x, int rows, int inWidth, ReadOnlySpan<float> wt, ReadOnlySpan<float> bias, Span<float> y)
    {
        var outWidth = bias.Length;
        for (var r = 0; r < rows; r++)
        {
            bias.CopyTo(y.Slice(r * outWidth, outWidth));
        }
        Sgemm.Multiply(rows, outWidth, inWidth, x, inWidth, wt, outWidth, y, outWidth, accumulate: true);
    }

    private void Place(float[] source, int e, float factor, Span<float> z, int f, int offset)
    {
        for (var b = 0; b < Batch.Count; b++)
        {
            TensorPrimitives.Multiply(source.AsSpan(b * e, e), factor, z.Slice((b * f) + offset, e));
        }
    }

    private static void Softmax(ReadOnlySpan<float> x, Span<float> y)
    {
        var max = TensorPrimitives.Max(x);
        float sum = 0;
        for (var i = 0; i < x.Length; i++)
        {
            y[i] = MathF.Exp(x[i] - max);
            sum += y[i];
        }
        for (var i = 0; i < x.Length; i++)
        {
            y[i] /= sum;
        }
    }

    private void EnsureCapacity(int n)
    {
        if (n <= _capacity)
        {
            return;
        }
        var c = _c;
        var steps = c.Steps;
        for (var m = 0; m < 3; m++)
        {
            for (var l = 0; l < _encoders[m].Length; l++)
            {
                var width = _encoders[m][l].Length * _encoders[m][l][0].Hidden;
                _layerOut[m][l] = new float[steps * n * width];
                _layerGrad[m][l] = new float[steps * n * width];
            }
            var e = c.Encoding(m);
            _input[m] = new float[steps * n * c.EncoderInput(m)];
            _mean[m] = new float[n * e];
            _count[m] = new int[n];
            _key[m] = new float[n * c.KeySize];
            _queries[m] = new float[steps * n * c.KeySize];
            _dQueries[m] = new float[steps * n * c.KeySize];
            _dKey[m] = new float[n * c.KeySize];
            _alpha[m] = new float[n * steps];
            _recPred[m] = new float[n * e];
            _dPred[m] = new float[n * e];
        }
        _gate = new float[n * 3];
        _faceNow = new float[n * c.FaceSize];
        _z = new float[n * c.FusedSize];
        _dz = new float[n * c.FusedSize];
        _a1 = new float[n * c.HeadHidden];
        _drop = new float[n * c.HeadHidden];
        _h1 = new float[n * c.HeadHidden];
        _dH1 = new float[n * c.HeadHidden];
        _logits = new float[n * c.Classes];
        _probs = new float[n * c.Classes];
        _dLogits = new float[n * c.Classes];
        _targets = new float[n * c.Classes];
        _scratch = new float[Math.Max(n * c.Classes, Math.Max(c.FaceEncoding, c.ContextEncoding))];
        _capacity = n;
    }
}
