namespace EmmaNet.Batch.Fusion;

/// <summary>
/// One direction of one GRU layer with ONNX's GRU semantics (gate order z, r, h; <c>linear_before_reset = 1</c>, as
/// PyTorch computes it), so the export maps onto the ONNX GRU operator:
/// z = s(W_z x + Wb_z + R_z h + Rb_z), r = s(W_r x + Wb_r + R_r h + Rb_r), n = tanh(W_h x + Wb_h + r * (R_h h + Rb_h)),
/// h' = (1 - z) * n + z * h, from h = 0. Backward is backpropagation through time.
/// </summary>
public sealed class GruDirection
{
    private readonly int _in;
    private readonly int _h;

    public GruDirection(string name, int input, int hidden, bool reverse, Random random)
    {
        (_in, _h, Reverse) = (input, hidden, reverse);
        W = new Param(name + ".W", 3 * hidden, input).Init(random);
        R = new Param(name + ".R", 3 * hidden, hidden).Init(random);
        Wb = new Param(name + ".Wb", 3 * hidden);
        Rb = new Param(name + ".Rb", 3 * hidden);
    }

    public bool Reverse { get; }

    public Param W { get; }

    public Param R { get; }

    public Param Wb { get; }

    public Param Rb { get; }

    public IEnumerable<Param> Params => [W, R, Wb, Rb];

    /// <summary>What backward needs from one run.</summary>
    public sealed record Cache(double[][] X, double[][] HPrev, double[][] Z, double[][] Rg, double[][] N, double[][] U);

    /// <summary>Outputs h_t for t = 0..T-1 in time order (a reverse direction runs from the end).</summary>
    public double[][] Forward(double[][] x, out Cache cache)
    {
        var steps = x.Length;
        var outputs = new double[steps][];
        var (hPrev, z, r, n, u) = (new double[steps][], new double[steps][], new double[steps][], new double[steps][], new double[steps][]);
        var h = new double[_h];
        for (var s = 0; s < steps; s++)
        {
            var t = Reverse ? steps - 1 - s : s;
            hPrev[t] = h;
            (z[t], r[t], n[t], u[t]) = (new double[_h], new double[_h], new double[_h], new double[_h]);
            var next = new double[_h];
            for (var j = 0; j < _h; j++)
            {
                var az = Affine(W, Wb, x[t], j, _in) + Affine(R, Rb, h, j, _h);
                var ar = Affine(W, Wb, x[t], _h + j, _in) + Affine(R, Rb, h, _h + j, _h);
                u[t][j] = Affine(R, Rb, h, (2 * _h) + j, _h);
                z[t][j] = Sigmoid(az);
                r[t][j] = Sigmoid(ar);
                n[t][j] = Math.Tanh(Affine(W, Wb, x[t], (2 * _h) + j, _in) + (r[t][j] * u[t][j]));
                next[j] = ((1 - z[t][j]) * n[t][j]) + (z[t][j] * h[j]);
            }
            outputs[t] = next;
            h = next;
        }
        cache = new Cache(x, hPrev, z, r, n, u);
        return outputs;
    }

    /// <summary>Given dL/dh_t for every t, accumulates the parameter gradients and returns dL/dx_t.</summary>
    public double[][] Backward(double[][] dOut, Cache c)
    {
        var steps = dOut.Length;
        var dx = Enumerable.Range(0, steps).Select(_ => new double[_in]).ToArray();
        var carry = new double[_h];
        for (var s = steps - 1; s >= 0; s--)
        {
            var t = Reverse ? steps - 1 - s : s;
            var dh = new double[_h];
            var dPrev = new double[_h];
            var da = new double[3 * _h];   // dL/d(pre-activation) of z, r, and n's input
            var du = new double[_h];
            for (var j = 0; j < _h; j++)
            {
                dh[j] = dOut[t][j] + carry[j];
                var (z, r, n, u) = (c.Z[t][j], c.Rg[t][j], c.N[t][j], c.U[t][j]);
                var dn = dh[j] * (1 - z);
                var dz = dh[j] * (c.HPrev[t][j] - n);
                dPrev[j] = dh[j] * z;
                var dan = dn * (1 - (n * n));
                da[(2 * _h) + j] = dan;
                du[j] = dan * r;
                da[_h + j] = dan * u * r * (1 - r);
                da[j] = dz * z * (1 - z);
            }
            for (var g = 0; g < 3 * _h; g++)
            {
                // x-side: every gate; h-side: z and r directly, n through u.
                var dxg = da[g];
                var dhg = g < 2 * _h ? da[g] : du[g - (2 * _h)];
                Wb.Grad[g] += dxg;
                Rb.Grad[g] += dhg;
                for (var i = 0; i < _in; i++)
                {
                    W.Grad[(g * _in) + i] += dxg * c.X[t][i];
                    dx[t][i] += W.Value[(g * _in) + i] * dxg;
                }
                for (var k = 0; k < _h; k++)
                {
                    R.Grad[(g * _h) + k] += dhg * c.HPrev[t][k];
                    dPrev[k] += R.Value[(g * _h) + k] * dhg;
                }
            }
            carry = dPrev;
        }
        return dx;
    }

    private static double Affine(Param w, Param b, double[] v, int row, int width)
    {
        var sum = b.Value[row];
        var at = row * width;
        for (var i = 0; i < width; i++)
        {
            sum += w.Value[at + i] * v[i];
        }
        return sum;
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
}

/// <summary>A stack of GRU layers, each one or two directions (outputs concatenated forward then backward).</summary>
public sealed class GruEncoder
{
    private readonly List<GruDirection[]> _layers = new();

    public GruEncoder(string name, int input, int hidden, int layers, bool bidirectional, Random random)
    {
        for (var l = 0; l < layers; l++)
        {
            var inSize = l == 0 ? input : (bidirectional ? 2 : 1) * hidden;
            _layers.Add(bidirectional
                ? [new GruDirection($"{name}.l{l}.fwd", inSize, hidden, false, random), new GruDirection($"{name}.l{l}.bwd", inSize, hidden, true, random)]
                : [new GruDirection($"{name}.l{l}.fwd", inSize, hidden, false, random)]);
        }
    }

    public IReadOnlyList<GruDirection[]> Layers => _layers;

    public IEnumerable<Param> Params => _layers.SelectMany(l => l).SelectMany(d => d.Params);

    public double[][] Forward(double[][] x, out List<GruDirection.Cache[]> caches)
    {
        caches = new List<GruDirection.Cache[]>();
        foreach (var layer in _layers)
        {
            var outs = new double[layer.Length][][];
            var layerCaches = new GruDirection.Cache[layer.Length];
            for (var d = 0; d < layer.Length; d++)
            {
                outs[d] = layer[d].Forward(x, out layerCaches[d]);
            }
            caches.Add(layerCaches);
            x = Enumerable.Range(0, x.Length).Select(t => outs.SelectMany(o => o[t]).ToArray()).ToArray();
        }
        return x;
    }

    public double[][] Backward(double[][] dOut, List<GruDirection.Cache[]> caches)
    {
        for (var l = _layers.Count - 1; l >= 0; l--)
        {
            var layer = _layers[l];
            var width = dOut[0].Length / layer.Length;
            double[][]? dIn = null;
            for (var d = 0; d < layer.Length; d++)
            {
                var part = dOut.Select(v => v.AsSpan(d * width, width).ToArray()).ToArray();
                var dx = layer[d].Backward(part, caches[l][d]);
                dIn = dIn is null ? dx : dIn.Zip(dx, (a, b) => a.Zip(b, (p, q) => p + q).ToArray()).ToArray();
            }
            dOut = dIn!;
        }
        return dOut;
    }
}
