namespace EmmaNet.Batch.Fusion;

/// <summary>
/// EMMA-Net's fusion network (EMMA-NET.md section 3) in double precision, with its own backward pass (TorchSharp cannot
/// run on these machines). Encoders: 2-layer GRUs, bidirectional for the face. Attention per modality m (eq. 4-5):
/// score_t = (H_t W_Q) . (f_c W_K) / sqrt(d_k) over the present steps, alpha = softmax, C = sum alpha_t H_t (a modality
/// absent at every step gives C = 0, alpha = 0). z per <see cref="FusionVariant"/> (eq. 6); head: W_2 dropout(relu(W_1 z
/// + b_1)) + b_2, softmax (eq. 7). Losses over a run of consecutive windows: class-weighted cross-entropy, L_rec (a
/// linear decoder per modality reconstructs the masked mean of its encoding from z), and
/// L_smooth = mean over consecutive windows of |y_t - y_(t-1)|_1 (eq. 8-10).
/// L_rec is a plain mean squared error: its gradient reaches the decoders, z, and the encodings it reconstructs.
/// </summary>
public sealed class FusionNetwork
{
    private readonly GruEncoder[] _encoders;
    private readonly Param[] _wq = new Param[3];
    private readonly Param[] _wk = new Param[3];
    private readonly Param[] _gateA = new Param[3];
    private readonly Param[] _gateC = new Param[3];
    private readonly Param[] _dec = new Param[3];
    private readonly Param[] _decB = new Param[3];
    private readonly Param _mix;
    private readonly Param _w1;
    private readonly Param _b1;
    private readonly Param _w2;
    private readonly Param _b2;

    public FusionNetwork(FusionConfig config, int seed = 1)
    {
        Config = config;
        var random = new Random(seed);
        var c = config;
        _encoders =
        [
            new GruEncoder("enc.face", c.EncoderInput(0), c.Hidden, c.Layers, true, random),
            new GruEncoder("enc.audio", c.EncoderInput(1), c.Hidden, c.Layers, c.BidirectionalContext, random),
            new GruEncoder("enc.pose", c.EncoderInput(2), c.Hidden, c.Layers, c.BidirectionalContext, random),
        ];
        for (var m = 0; m < 3; m++)
        {
            _wq[m] = new Param($"att.{Modalities.Names[m]}.WQ", c.Encoding(m), c.KeySize).Init(random);
            _wk[m] = new Param($"att.{Modalities.Names[m]}.WK", c.FaceSize, c.KeySize).Init(random);
            _gateA[m] = new Param($"gate.{Modalities.Names[m]}.a", c.Encoding(m));
            _gateC[m] = new Param($"gate.{Modalities.Names[m]}.c", 1);
            _dec[m] = new Param($"rec.{Modalities.Names[m]}.W", c.Encoding(m), Math.Max(1, c.FusedSize)).Init(random);
            _decB[m] = new Param($"rec.{Modalities.Names[m]}.b", c.Encoding(m));
        }
        _mix = new Param("additive.v", 3);
        _w1 = new Param("head.W1", c.HeadHidden, c.FusedSize).Init(random);
        _b1 = new Param("head.b1", c.HeadHidden);
        _w2 = new Param("head.W2", c.Classes, c.HeadHidden).Init(random);
        _b2 = new Param("head.b2", c.Classes);
        // Gates start slightly random so each modality's gradient differs.
        foreach (var a in _gateA)
        {
            for (var i = 0; i < a.Value.Length; i++)
            {
                a.Value[i] = (random.NextDouble() - 0.5) * 0.2;
            }
        }
        Normalization = FeatureNormalization.Identity(config);
    }

    public FusionConfig Config { get; }

    /// <summary>The input standardisation (not trained: measured on the training data before training; identity by default).</summary>
    public FeatureNormalization Normalization { get; set; }

    // For the ONNX export.
    internal IReadOnlyList<GruEncoder> Encoders => _encoders;

    internal IReadOnlyList<Param> QueryWeights => _wq;

    internal IReadOnlyList<Param> KeyWeights => _wk;

    internal IReadOnlyList<Param> GateWeights => _gateA;

    internal IReadOnlyList<Param> GateBiases => _gateC;

    internal Param ModalityMix => _mix;

    internal (Param W1, Param B1, Param W2, Param B2) Head => (_w1, _b1, _w2, _b2);

    internal (IReadOnlyList<Param> Weights, IReadOnlyList<Param> Biases) Decoders => (_dec, _decB);

    /// <summary>The parameters this variant uses (the rest stay untouched and are not exported).</summary>
    public IReadOnlyList<Param> Params
    {
        get
        {
            var v = Config.Variant;
            var list = new List<Param>();
            if (Config.UsesEncoders)
            {
                list.AddRange(_encoders.SelectMany(e => e.Params));
                if (v is FusionVariant.Attention or FusionVariant.Context)
                {
                    list.AddRange(_wq);
                    list.AddRange(_wk);
                }
                if (v == FusionVariant.Additive)
                {
                    list.Add(_mix);
                }
                if (v == FusionVariant.Gating)
                {
                    list.AddRange(_gateA);
                    list.AddRange(_gateC);
                }
                list.AddRange(_dec);
                list.AddRange(_decB);
            }
            list.AddRange([_w1, _b1, _w2, _b2]);
            return list;
        }
    }

    public void ZeroGrad()
    {
        foreach (var p in Params)
        {
            p.ZeroGrad();
        }
    }

    private sealed class Cache
    {
        public double[][][] H { get; } = new double[3][][];

        public List<GruDirection.Cache[]>[] Enc { get; } = new List<GruDirection.Cache[]>[3];

        public double[][] Mean { get; } = new double[3][];

        public int[] Count { get; } = new int[3];

        public double[][] Alpha { get; } = new double[3][];

        public double[][] Key { get; } = new double[3][];

        public double[][][] Queries { get; } = new double[3][][];

        public double[] Beta { get; set; } = [];

        public double[] Gate { get; } = new double[3];

        public double[] Z { get; set; } = [];

        public double[] A1 { get; set; } = [];

        public double[] Drop { get; set; } = [];

        public double[] H1d { get; set; } = [];

        public double[][] RecPred { get; } = new double[3][];

        /// <summary>The current face, standardised: what the key and z read.</summary>
        public double[] FaceNow { get; set; } = [];
    }

    public FusionOutput Predict(FusionWindow window) => Forward(window, null, out _);

    private FusionOutput Forward(FusionWindow w, Random? dropout, out Cache cache)
    {
        var c = Config;
        var state = new Cache();
        cache = state;
        var contexts = new double[3][];
        var attention = Enumerable.Range(0, 3).Select(_ => new double[w.Present.Length]).ToArray();
        state.FaceNow = w.FaceNow.Select((x, j) => Normalization.Apply(0, j, x)).ToArray();
        if (c.UsesEncoders)
        {
            double[][][] raw = [w.Face, w.Audio, w.Pose];
            for (var m = 0; m < 3; m++)
            {
                state.H[m] = _encoders[m].Forward(EncoderInputs(m, raw[m], w.Present), out var enc);
                state.Enc[m] = enc;
                (state.Mean[m], state.Count[m]) = MaskedMean(state.H[m], w.Present, m);
            }
            switch (c.Variant)
            {
                case FusionVariant.Attention or FusionVariant.Context:
                    for (var m = 0; m < 3; m++)
                    {
                        contexts[m] = Attend(m, state.H[m], w, state);
                        attention[m] = state.Alpha[m];
                    }
                    break;
                case FusionVariant.Concat:
                    contexts = state.Mean.ToArray();
                    break;
                case FusionVariant.Additive:
                    state.Beta = Softmax(_mix.Value);
                    contexts = Enumerable.Range(0, 3).Select(m => state.Mean[m].Select(x => x * state.Beta[m]).ToArray()).ToArray();
                    break;
                case FusionVariant.Gating:
                    for (var m = 0; m < 3; m++)
                    {
                        state.Gate[m] = Sigmoid(Dot(_gateA[m].Value, state.Mean[m]) + _gateC[m].Value[0]);
                        contexts[m] = state.Mean[m].Select(x => x * state.Gate[m]).ToArray();
                    }
                    break;
            }
        }
        var z = new List<double>(c.FusedSize);
        if (c.UsesFaceNow)
        {
            z.AddRange(state.FaceNow);
        }
        if (c.UsesEncoders)
        {
            z.AddRange(contexts.SelectMany(x => x));
        }
        state.Z = z.ToArray();
        state.A1 = MatVec(_w1, state.Z, _b1);
        state.Drop = state.A1.Select(_ => dropout is null ? 1.0 : dropout.NextDouble() < c.Dropout ? 0.0 : 1.0 / (1 - c.Dropout)).ToArray();
        state.H1d = state.A1.Select((a, i) => Math.Max(0, a) * state.Drop[i]).ToArray();
        var logits = MatVec(_w2, state.H1d, _b2);
        if (c.UsesEncoders)
        {
            for (var m = 0; m < 3; m++)
            {
                state.RecPred[m] = MatVec(_dec[m], state.Z, _decB[m]);
            }
        }
        return new FusionOutput(logits, Softmax(logits), attention);
    }

    private double[] Attend(int m, double[][] h, FusionWindow w, Cache cache)
    {
        var dk = Config.KeySize;
        var key = VecMat(cache.FaceNow, _wk[m]);
        cache.Key[m] = key;
        cache.Queries[m] = h.Select(ht => VecMat(ht, _wq[m])).ToArray();
        var alpha = new double[h.Length];
        var present = Enumerable.Range(0, h.Length).Where(t => w.Present[t][m]).ToList();
        if (present.Count > 0)
        {
            var scores = present.Select(t => Dot(cache.Queries[m][t], key) / Math.Sqrt(dk)).ToArray();
            var weights = Softmax(scores);
            for (var i = 0; i < present.Count; i++)
            {
                alpha[present[i]] = weights[i];
            }
        }
        cache.Alpha[m] = alpha;
        var context = new double[h[0].Length];
        for (var t = 0; t < h.Length; t++)
        {
            for (var i = 0; i < context.Length; i++)
            {
                context[i] += alpha[t] * h[t][i];
            }
        }
        return context;
    }

    /// <summary>
    /// The loss of a run of consecutive windows (mean cross-entropy + weighted mean L_rec + weighted mean L_smooth); with
    /// <paramref name="backward"/>, the gradients of every parameter are added to their <see cref="Param.Grad"/>.
    /// <paramref name="dropout"/> null means no dropout.
    /// </summary>
    /// <remarks>With <paramref name="targets"/> (a distribution over the classes per window, e.g. a teacher's), the cross-entropy is taken
    /// against them instead of the one-hot labels; a class weight then applies as the target-weighted mean of the weights.</remarks>
    /// <param name="observe">Told each window's output (validation scores its predictions from the same forward pass).</param>
    public double Loss(IReadOnlyList<FusionWindow> run, IReadOnlyList<int> labels, LossSettings settings, Random? dropout, bool backward, IReadOnlyList<double[]>? targets = null, Action<int, FusionOutput>? observe = null)
    {
        var n = run.Count;
        var outputs = new FusionOutput[n];
        var caches = new Cache[n];
        for (var i = 0; i < n; i++)
        {
            outputs[i] = Forward(run[i], dropout, out caches[i]);
            observe?.Invoke(i, outputs[i]);
        }
        double loss = 0;
        var dLogits = new double[n][];
        for (var i = 0; i < n; i++)
        {
            var label = labels[i];
            var target = targets?[i] ?? Enumerable.Range(0, Config.Classes).Select(k => k == label ? 1.0 : 0.0).ToArray();
            var weight = settings.ClassWeights is { } w ? Dot(w, target) : 1.0;
            var p = outputs[i].Probabilities;
            loss += -weight * Enumerable.Range(0, Config.Classes).Sum(k => target[k] == 0 ? 0 : target[k] * Math.Log(Math.Max(p[k], 1e-300))) / n;
            dLogits[i] = p.Select((pk, k) => weight * (pk - target[k]) / n).ToArray();
        }
        if (n > 1 && settings.SmoothWeight > 0)
        {
            var dProb = Enumerable.Range(0, n).Select(_ => new double[Config.Classes]).ToArray();
            for (var i = 1; i < n; i++)
            {
                for (var k = 0; k < Config.Classes; k++)
                {
                    var diff = outputs[i].Probabilities[k] - outputs[i - 1].Probabilities[k];
                    loss += settings.SmoothWeight * Math.Abs(diff) / (n - 1);
                    var g = settings.SmoothWeight * Math.Sign(diff) / (n - 1);
                    dProb[i][k] += g;
                    dProb[i - 1][k] -= g;
                }
            }
            for (var i = 0; i < n; i++)
            {
                // Through the softmax: dlogit = p * (dp - p . dp).
                var p = outputs[i].Probabilities;
                var dot = Dot(p, dProb[i]);
                for (var k = 0; k < Config.Classes; k++)
                {
                    dLogits[i][k] += p[k] * (dProb[i][k] - dot);
                }
            }
        }
        var recWeight = Config.UsesEncoders ? settings.ReconstructionWeight : 0;
        for (var i = 0; i < n; i++)
        {
            if (recWeight > 0)
            {
                for (var m = 0; m < 3; m++)
                {
                    var size = caches[i].Mean[m].Length;
                    loss += recWeight * caches[i].RecPred[m].Zip(caches[i].Mean[m], (p, t) => (p - t) * (p - t)).Sum() / size / n;
                }
            }
            if (backward)
            {
                Backward(run[i], caches[i], dLogits[i], recWeight / n);
            }
        }
        return loss;
    }

    private void Backward(FusionWindow w, Cache cache, double[] dLogits, double recScale)
    {
        var c = Config;
        AccumulateOuter(_w2, dLogits, cache.H1d, _b2);
        var dH1 = MatTVec(_w2, dLogits);
        var dA1 = dH1.Select((d, i) => cache.A1[i] > 0 ? d * cache.Drop[i] : 0).ToArray();
        AccumulateOuter(_w1, dA1, cache.Z, _b1);
        var dz = MatTVec(_w1, dA1);
        if (!c.UsesEncoders)
        {
            return;
        }
        // L_rec = sum over m of |pred_m - mean H_m|^2 / size: the target's gradient is minus the prediction's.
        var dTarget = new double[3][];
        for (var m = 0; m < 3; m++)
        {
            var size = cache.Mean[m].Length;
            var dPred = cache.RecPred[m].Select((p, i) => recScale * 2 * (p - cache.Mean[m][i]) / size).ToArray();
            dTarget[m] = dPred.Select(d => -d).ToArray();
            if (recScale > 0)
            {
                AccumulateOuter(_dec[m], dPred, cache.Z, _decB[m]);
                var back = MatTVec(_dec[m], dPred);
                for (var i = 0; i < dz.Length; i++)
                {
                    dz[i] += back[i];
                }
            }
        }
        var offset = c.UsesFaceNow ? c.FaceSize : 0;
        var dH = new double[3][][];
        if (c.Variant is FusionVariant.Additive)
        {
            // C_m = beta_m M_m, beta = softmax(v).
            var dBeta = new double[3];
            for (var m = 0; m < 3; m++)
            {
                var dC = dz.AsSpan(offset + ContextOffset(m), c.Encoding(m)).ToArray();
                dBeta[m] = Dot(dC, cache.Mean[m]);
            }
            var dot = Dot(cache.Beta, dBeta);
            for (var m = 0; m < 3; m++)
            {
                _mix.Grad[m] += cache.Beta[m] * (dBeta[m] - dot);
            }
        }
        for (var m = 0; m < 3; m++)
        {
            var dC = dz.AsSpan(offset + ContextOffset(m), c.Encoding(m)).ToArray();
            var h = cache.H[m];
            dH[m] = h.Select(ht => new double[ht.Length]).ToArray();
            double[] dMean;
            switch (c.Variant)
            {
                case FusionVariant.Attention or FusionVariant.Context:
                    AttendBackward(m, h, w, cache, dC, dH[m]);
                    dMean = new double[dC.Length];
                    break;
                case FusionVariant.Concat:
                    dMean = dC;
                    break;
                case FusionVariant.Additive:
                    dMean = dC.Select(x => x * cache.Beta[m]).ToArray();
                    break;
                default:
                    var g = cache.Gate[m];
                    var dGate = Dot(dC, cache.Mean[m]) * g * (1 - g);
                    dMean = dC.Select((x, i) => (x * g) + (dGate * _gateA[m].Value[i])).ToArray();
                    for (var i = 0; i < dMean.Length; i++)
                    {
                        _gateA[m].Grad[i] += dGate * cache.Mean[m][i];
                    }
                    _gateC[m].Grad[0] += dGate;
                    break;
            }
            dMean = dMean.Zip(dTarget[m], (a, b) => a + b).ToArray();
            if (cache.Count[m] > 0)
            {
                for (var t = 0; t < h.Length; t++)
                {
                    if (w.Present[t][m])
                    {
                        for (var i = 0; i < dMean.Length; i++)
                        {
                            dH[m][t][i] += dMean[i] / cache.Count[m];
                        }
                    }
                }
            }
            _encoders[m].Backward(dH[m], cache.Enc[m]);
        }
    }

    private void AttendBackward(int m, double[][] h, FusionWindow w, Cache cache, double[] dC, double[][] dH)
    {
        var alpha = cache.Alpha[m];
        var scale = 1 / Math.Sqrt(Config.KeySize);
        var dAlpha = new double[h.Length];
        for (var t = 0; t < h.Length; t++)
        {
            if (alpha[t] == 0 && !w.Present[t][m])
            {
                continue;
            }
            dAlpha[t] = Dot(h[t], dC);
            for (var i = 0; i < dC.Length; i++)
            {
                dH[t][i] += alpha[t] * dC[i];
            }
        }
        var mean = Enumerable.Range(0, h.Length).Sum(t => alpha[t] * dAlpha[t]);
        var key = cache.Key[m];
        var dKey = new double[key.Length];
        for (var t = 0; t < h.Length; t++)
        {
            if (!w.Present[t][m])
            {
                continue;
            }
            var ds = alpha[t] * (dAlpha[t] - mean);
            var q = cache.Queries[m][t];
            for (var j = 0; j < key.Length; j++)
            {
                var dq = ds * key[j] * scale;
                dKey[j] += ds * q[j] * scale;
                for (var i = 0; i < h[t].Length; i++)
                {
                    _wq[m].Grad[(i * key.Length) + j] += h[t][i] * dq;
                    dH[t][i] += _wq[m].Value[(i * key.Length) + j] * dq;
                }
            }
        }
        for (var i = 0; i < cache.FaceNow.Length; i++)
        {
            for (var j = 0; j < key.Length; j++)
            {
                _wk[m].Grad[(i * key.Length) + j] += cache.FaceNow[i] * dKey[j];
            }
        }
    }

    /// <summary>What modality m's encoder reads at each step: the standardised features (zeros where absent), then presence and position as configured.</summary>
    private double[][] EncoderInputs(int m, double[][] x, bool[][] present)
    {
        var c = Config;
        var width = c.EncoderInput(m);
        var size = x[0].Length;
        var inputs = new double[x.Length][];
        for (var t = 0; t < x.Length; t++)
        {
            var row = inputs[t] = new double[width];
            if (present[t][m])
            {
                for (var j = 0; j < size; j++)
                {
                    row[j] = Normalization.Apply(m, j, x[t][j]);
                }
            }
            var at = size;
            if (c.PresenceInput)
            {
                row[at++] = present[t][m] ? 1 : 0;
            }
            if (c.StepPosition)
            {
                row[at] = c.Position(t);
            }
        }
        return inputs;
    }

    private int ContextOffset(int m) => m == 0 ? 0 : Config.FaceEncoding + ((m - 1) * Config.ContextEncoding);

    private static (double[] Mean, int Count) MaskedMean(double[][] h, bool[][] present, int m)
    {
        var mean = new double[h[0].Length];
        var count = 0;
        for (var t = 0; t < h.Length; t++)
        {
            if (present[t][m])
            {
                count++;
                for (var i = 0; i < mean.Length; i++)
                {
                    mean[i] += h[t][i];
                }
            }
        }
        return (count == 0 ? mean : mean.Select(v => v / count).ToArray(), count);
    }

    private static double[] MatVec(Param w, double[] x, Param b)
    {
        var rows = w.Shape[0];
        var cols = w.Shape[1];
        var y = new double[rows];
        for (var r = 0; r < rows; r++)
        {
            var sum = b.Value[r];
            for (var k = 0; k < cols; k++)
            {
                sum += w.Value[(r * cols) + k] * x[k];
            }
            y[r] = sum;
        }
        return y;
    }

    private static double[] MatTVec(Param w, double[] d)
    {
        var rows = w.Shape[0];
        var cols = w.Shape[1];
        var x = new double[cols];
        for (var r = 0; r < rows; r++)
        {
            for (var k = 0; k < cols; k++)
            {
                x[k] += w.Value[(r * cols) + k] * d[r];
            }
        }
        return x;
    }

    /// <summary>x [I] times W [I, J].</summary>
    private static double[] VecMat(double[] x, Param w)
    {
        var cols = w.Shape[1];
        var y = new double[cols];
        for (var i = 0; i < x.Length; i++)
        {
            for (var j = 0; j < cols; j++)
            {
                y[j] += x[i] * w.Value[(i * cols) + j];
            }
        }
        return y;
    }

    private static void AccumulateOuter(Param w, double[] d, double[] x, Param b)
    {
        var cols = w.Shape[1];
        for (var r = 0; r < d.Length; r++)
        {
            b.Grad[r] += d[r];
            for (var k = 0; k < cols; k++)
            {
                w.Grad[(r * cols) + k] += d[r] * x[k];
            }
        }
    }

    private static double Dot(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        double s = 0;
        for (var i = 0; i < a.Count; i++)
        {
            s += a[i] * b[i];
        }
        return s;
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static double[] Softmax(double[] x)
    {
        var max = x.Max();
        var e = x.Select(v => Math.Exp(v - max)).ToArray();
        var sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }
}
