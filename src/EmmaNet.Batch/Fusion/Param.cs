namespace EmmaNet.Batch.Fusion;

/// <summary>A trainable tensor: its values and the gradient accumulated into it, row-major in its shape.</summary>
public sealed class Param(string name, params int[] shape)
{
    public string Name { get; } = name;

    public int[] Shape { get; } = shape;

    public double[] Value { get; } = new double[shape.Aggregate(1, (a, b) => a * b)];

    public double[] Grad { get; } = new double[shape.Aggregate(1, (a, b) => a * b)];

    /// <summary>Glorot-uniform values (zeros for a vector, which is a bias).</summary>
    public Param Init(Random random)
    {
        if (Shape.Length < 2)
        {
            return this;
        }
        var limit = Math.Sqrt(6.0 / (Shape[0] + Shape[^1]));
        for (var i = 0; i < Value.Length; i++)
        {
            Value[i] = ((random.NextDouble() * 2) - 1) * limit;
        }
        return this;
    }

    public void ZeroGrad() => Array.Clear(Grad);
}
