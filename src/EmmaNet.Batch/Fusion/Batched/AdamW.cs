using System.Numerics;

namespace EmmaNet.Batch.Fusion.Batched;

/// <summary>
/// Adam with decoupled weight decay (AdamW) over a <see cref="FusionParameters"/> vector in float32: m and v moments
/// per entry, bias-corrected; no decay on biases (vectors). The moments and the step count are its whole state, so a
/// checkpoint can carry them.
/// </summary>
/// <remarks>Each entry is updated on its own, so spreading the tensors over <paramref name="threads"/> changes nothing.</remarks>
public sealed class AdamW(FusionParameters parameters, double weightDecay = 1e-4, int threads = 1, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
{
    public double LearningRate { get; set; } = 1e-3;

    public int Steps { get; set; }

    public float[] M { get; } = new float[parameters.Count];

    public float[] V { get; } = new float[parameters.Count];

    public void Step(float[] grad)
    {
        Steps++;
        var c1 = 1 - Math.Pow(beta1, Steps);
        var c2 = 1 - Math.Pow(beta2, Steps);
        // value -= lr * (m / c1 / (sqrt(v / c2) + eps) + decay * value), with the corrections folded into constants.
        var (b1, b2) = ((float)beta1, (float)beta2);
        var rate = (float)(LearningRate / c1);
        var vScale = (float)(1 / c2);
        var eps = (float)epsilon;
        Parallel.ForEach(parameters.Params, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, p =>
        {
            var at = parameters.Offset(p);
            var decay = (float)(LearningRate * (p.Shape.Length > 1 ? weightDecay : 0));
            var value = parameters.Values.AsSpan(at, p.Value.Length);
            var g = grad.AsSpan(at, p.Value.Length);
            var m = M.AsSpan(at, p.Value.Length);
            var v = V.AsSpan(at, p.Value.Length);
            var i = 0;
            var w = Vector<float>.Count;
            for (; i + w <= value.Length; i += w)
            {
                var vg = new Vector<float>(g[i..]);
                var vm = (new Vector<float>(b1) * new Vector<float>(m[i..])) + (new Vector<float>(1 - b1) * vg);
                var vv = (new Vector<float>(b2) * new Vector<float>(v[i..])) + (new Vector<float>(1 - b2) * vg * vg);
                var x = new Vector<float>(value[i..]);
                x -= (new Vector<float>(rate) * vm / (Vector.SquareRoot(vv * vScale) + new Vector<float>(eps))) + (new Vector<float>(decay) * x);
                vm.CopyTo(m[i..]);
                vv.CopyTo(v[i..]);
                x.CopyTo(value[i..]);
            }
            for (; i < value.Length; i++)
            {
                m[i] = (b1 * m[i]) + ((1 - b1) * g[i]);
                v[i] = (b2 * v[i]) + ((1 - b2) * g[i] * g[i]);
                value[i] -= (rate * m[i] / (MathF.Sqrt(v[i] * vScale) + eps)) + (decay * value[i]);
            }
        });
    }
}
