using System.Numerics;
using System.Numerics.Tensors;

namespace EmmaNet.Batch.Fusion.Batched;

/// <summary>
/// One GRU direction (<see cref="GruDirection"/>'s semantics) over a batch in float32. Sequences are time-major: row
/// <c>t * B + b</c> holds window b at step t. The input projections of every step are one matrix product; each step
/// then adds <c>h R^T</c> for the whole batch. Backward keeps every step's pre-activations in its own rows, so the
/// weight gradients are again single products over all steps and windows.
/// </summary>
internal sealed class BatchedGru(GruDirection reference, FusionParameters parameters)
{
    private readonly int _in = reference.W.Shape[1];
    private readonly int _h = reference.R.Shape[1];
    private float[] _gx = [];
    private float[] _gh = [];
    private float[] _zr = [];
    private float[] _n = [];
    private float[] _u = [];
    private float[] _hPrev = [];
    private float[] _dGx = [];
    private float[] _dGh = [];
    private float[] _dh = [];
    private float[] _carry = [];
    private float[] _tmp = [];

    public bool Reverse => reference.Reverse;

    public int Hidden => _h;

    /// <summary>Matrix-product flops of one window's forward (input projections and recurrence) over T steps.</summary>
    public long ForwardFlops(int steps) => Sgemm.Flops(steps, 3 * _h, _in) + Sgemm.Flops(steps - 1, 3 * _h, _h);

    /// <summary>
    /// Runs the direction over <paramref name="x"/> [T*B, in] (leading dimension <paramref name="ldx"/>), writing h_t
    /// into <paramref name="output"/> at column <paramref name="column"/> (leading dimension <paramref name="ldo"/>).
    /// </summary>
    public void Forward(PreparedWeights weights, ReadOnlySpan<float> x, int ldx, int steps, int batch, Span<float> output, int ldo, int column)
    {
        var (h, g) = (_h, 3 * _h);
        var rows = steps * batch;
        Ensure(rows, batch);
        var wt = weights.Transposed(reference.W);
        var rt = weights.Transposed(reference.R);
        var wb = parameters.Of(reference.Wb);
        var rb = parameters.Of(reference.Rb);
        var gx = _gx.AsSpan(0, rows * g);
        for (var r = 0; r < rows; r++)
        {
            wb.CopyTo(gx.Slice(r * g, g));
        }
        Sgemm.Multiply(rows, g, _in, x, ldx, wt, g, gx, g, accumulate: true);
        var gh = _gh.AsSpan(0, batch * g);
        for (var s = 0; s < steps; s++)
        {
            var t = Reverse ? steps - 1 - s : s;
            var prevT = Reverse ? t + 1 : t - 1;
            var hPrev = _hPrev.AsSpan(t * batch * h, batch * h);
            for (var b = 0; b < batch; b++)
            {
                rb.CopyTo(gh.Slice(b * g, g));
                if (s == 0)
                {
                    hPrev.Slice(b * h, h).Clear();
                }
                else
                {
                    output.Slice((((prevT * batch) + b) * ldo) + column, h).CopyTo(hPrev.Slice(b * h, h));
                }
            }
            if (s > 0)
            {
                Sgemm.Multiply(batch, g, h, hPrev, h, rt, g, gh, g, accumulate: true);
            }
            for (var b = 0; b < batch; b++)
            {
                var row = (t * batch) + b;
                var gxRow = gx.Slice(row * g, g);
                var ghRow = gh.Slice(b * g, g);
                var zr = _zr.AsSpan(row * 2 * h, 2 * h);
                var n = _n.AsSpan(row * h, h);
                var u = _u.AsSpan(row * h, h);
                TensorPrimitives.Add(gxRow[..(2 * h)], ghRow[..(2 * h)], zr);
                TensorPrimitives.Sigmoid(zr, zr);
                ghRow.Slice(2 * h, h).CopyTo(u);
                // n = tanh(W_h x + Wb_h + r * (R_h h + Rb_h)); h' = n + z * (h - n).
                TensorPrimitives.FusedMultiplyAdd(zr.Slice(h, h), u, gxRow.Slice(2 * h, h), n);
                TensorPrimitives.Tanh(n, n);
                var tmp = _tmp.AsSpan(0, h);
                TensorPrimitives.Subtract(hPrev.Slice(b * h, h), n, tmp);
                TensorPrimitives.FusedMultiplyAdd(zr[..h], tmp, n, output.Slice((row * ldo) + column, h));
            }
        }
    }

    /// <summary>
    /// Given dL/dh_t in <paramref name="dOutput"/> (same layout as the forward's output), adds the parameter gradients to
    /// <paramref name="grad"/> and, when <paramref name="dx"/> is not empty, dL/dx to it (leading dimension ldx).
    /// The forward of the same batch must be the last one this object ran.
    /// </summary>
    public void Backward(PreparedWeights weights, ReadOnlySpan<float> x, int ldx, int steps, int batch, ReadOnlySpan<float> dOutput, int ldo, int column, float[] grad, Span<float> dx)
    {
        var (h, g) = (_h, 3 * _h);
        var rows = steps * batch;
        var dGx = _dGx.AsSpan(0, rows * g);
        var dGh = _dGh.AsSpan(0, rows * g);
        var carry = _carry.AsSpan(0, batch * h);
        carry.Clear();
        var r = parameters.Of(reference.R);
        var dh = _dh.AsSpan(0, h);
        for (var s = steps - 1; s >= 0; s--)
        {
            var t = Reverse ? steps - 1 - s : s;
            for (var b = 0; b < batch; b++)
            {
                var row = (t * batch) + b;
                TensorPrimitives.Add(dOutput.Slice((row * ldo) + column, h), carry.Slice(b * h, h), dh);
                GateGradients(dh, _zr.AsSpan(row * 2 * h, 2 * h), _n.AsSpan(row * h, h), _u.AsSpan(row * h, h), _hPrev.AsSpan(row * h, h),
                    dGx.Slice(row * g, g), dGh.Slice(row * g, g), carry.Slice(b * h, h));
            }
            if (s > 0)
            {
                Sgemm.Multiply(batch, h, g, dGh.Slice(t * batch * g), g, r, h, carry, h, accumulate: true);
            }
        }
        Sgemm.MultiplyTransposedA(g, _in, rows, dGx, g, x, ldx, parameters.Of(grad, reference.W), _in, accumulate: true);
        Sgemm.MultiplyTransposedA(g, h, rows, dGh, g, _hPrev, h, parameters.Of(grad, reference.R), h, accumulate: true);
        AddColumnSums(dGx, rows, g, parameters.Of(grad, reference.Wb));
        AddColumnSums(dGh, rows, g, parameters.Of(grad, reference.Rb));
        if (!dx.IsEmpty)
        {
            Sgemm.Multiply(rows, _in, g, dGx, g, parameters.Of(reference.W), _in, dx, ldx, accumulate: true);
        }
    }

    /// <summary>Matrix-product flops of one window's backward (weight gradients, recurrence, and dx when asked).</summary>
    public long BackwardFlops(int steps, bool inputGradient) =>
        Sgemm.Flops(3 * _h, _in, steps) + Sgemm.Flops(3 * _h, _h, steps) + Sgemm.Flops(steps - 1, _h, 3 * _h) + (inputGradient ? Sgemm.Flops(steps, _in, 3 * _h) : 0);

    /// <summary>One row of the step: from dh, the pre-activation gradients (x side: z, r, n; h side: z, r, u) and dh_prev's direct part z * dh.</summary>
    private static void GateGradients(ReadOnlySpan<float> dh, ReadOnlySpan<float> zr, ReadOnlySpan<float> n, ReadOnlySpan<float> u, ReadOnlySpan<float> hPrev, Span<float> dGx, Span<float> dGh, Span<float> dPrev)
    {
        var h = dh.Length;
        var z = zr[..h];
        var r = zr.Slice(h, h);
        var j = 0;
        var one = Vector<float>.One;
        for (; j + Vector<float>.Count <= h; j += Vector<float>.Count)
        {
            var vdh = new Vector<float>(dh[j..]);
            var vz = new Vector<float>(z[j..]);
            var vr = new Vector<float>(r[j..]);
            var vn = new Vector<float>(n[j..]);
            var vu = new Vector<float>(u[j..]);
            var dn = vdh * (one - vz);
            var dz = vdh * (new Vector<float>(hPrev[j..]) - vn);
            (vdh * vz).CopyTo(dPrev[j..]);
            var dan = dn * (one - (vn * vn));
            var dar = dan * vu * vr * (one - vr);
            var daz = dz * vz * (one - vz);
            daz.CopyTo(dGx[j..]);
            dar.CopyTo(dGx[(h + j)..]);
            dan.CopyTo(dGx[((2 * h) + j)..]);
            daz.CopyTo(dGh[j..]);
            dar.CopyTo(dGh[(h + j)..]);
            (dan * vr).CopyTo(dGh[((2 * h) + j)..]);
        }
        for (; j < h; j++)
        {
            var (vdh, vz, vr, vn, vu) = (dh[j], z[j], r[j], n[j], u[j]);
            var dn = vdh * (1 - vz);
            var dz = vdh * (hPrev[j] - vn);
            dPrev[j] = vdh * vz;
            var dan = dn * (1 - (vn * vn));
            dGx[j] = dGh[j] = dz * vz * (1 - vz);
            dGx[h + j] = dGh[h + j] = dan * vu * vr * (1 - vr);
            dGx[(2 * h) + j] = dan;
            dGh[(2 * h) + j] = dan * vr;
        }
    }

    internal static void AddColumnSums(ReadOnlySpan<float> rows, int count, int width, Span<float> sums)
    {
        for (var r = 0; r < count; r++)
        {
            TensorPrimitives.Add(sums, rows.Slice(r * width, width), sums);
        }
    }

    private void Ensure(int rows, int batch)
    {
        var (h, g) = (_h, 3 * _h);
        if (_gx.Length >= rows * g && _gh.Length >= batch * g)
        {
            return;
        }
        _gx = new float[rows * g];
        _gh = new float[batch * g];
        _zr = new float[rows * 2 * h];
        _n = new float[rows * h];
        _u = new float[rows * h];
        _hPrev = new float[rows * h];
        _dGx = new float[rows * g];
        _dGh = new float[rows * g];
        _dh = new float[h];
        _carry = new float[batch * h];
        _tmp = new float[h];
    }
}
