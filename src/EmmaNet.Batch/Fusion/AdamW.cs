namespace EmmaNet.Batch.Fusion;

/// <summary>Adam with decoupled weight decay (AdamW): m and v moments per parameter entry, bias-corrected.</summary>
public sealed class AdamW(IReadOnlyList<Param> parameters, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 1e-4)
{
    private readonly double[][] _m = parameters.Select(p => new double[p.Value.Length]).ToArray();
    private readonly double[][] _v = parameters.Select(p => new double[p.Value.Length]).ToArray();
    private int _t;

    public double LearningRate { get; set; } = 1e-3;

    public void Step()
    {
        _t++;
        var c1 = 1 - Math.Pow(beta1, _t);
        var c2 = 1 - Math.Pow(beta2, _t);
        for (var p = 0; p < parameters.Count; p++)
        {
            var value = parameters[p].Value;
            var grad = parameters[p].Grad;
            var (m, v) = (_m[p], _v[p]);
            var decay = parameters[p].Shape.Length > 1 ? weightDecay : 0;   // no decay on biases
            for (var i = 0; i < value.Length; i++)
            {
                m[i] = (beta1 * m[i]) + ((1 - beta1) * grad[i]);
                v[i] = (beta2 * v[i]) + ((1 - beta2) * grad[i] * grad[i]);
                value[i] -= LearningRate * (((m[i] / c1) / (Math.Sqrt(v[i] / c2) + epsilon)) + (decay * value[i]));
            }
        }
    }
}
