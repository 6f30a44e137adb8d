namespace EmmaNet.Batch.Fusion.Batched;

/// <summary>
/// A <see cref="FusionNetwork"/>'s parameters (those its variant uses, in <see cref="FusionNetwork.Params"/> order) as
/// one float32 vector, the layout gradients, optimiser moments and checkpoints share. The double-precision network
/// stays the owner of the model: values are loaded from it and stored back into it for export.
/// </summary>
public sealed class FusionParameters
{
    private readonly Dictionary<Param, int> _offsets = new(ReferenceEqualityComparer.Instance);
    private readonly IReadOnlyList<Param> _params;

    public FusionParameters(FusionNetwork reference)
    {
        Reference = reference;
        _params = reference.Params;
        var at = 0;
        foreach (var p in _params)
        {
            _offsets[p] = at;
            at += p.Value.Length;
        }
        Count = at;
        Values = new float[at];
        Load();
    }

    public FusionNetwork Reference { get; }

    /// <summary>Number of scalar parameters.</summary>
    public int Count { get; }

    public float[] Values { get; }

    public IReadOnlyList<Param> Params => _params;

    public int Offset(Param p) => _offsets[p];

    public Span<float> Of(Param p) => Values.AsSpan(_offsets[p], p.Value.Length);

    /// <summary>The slice of a vector in this layout (a gradient, a moment) that belongs to <paramref name="p"/>.</summary>
    public Span<float> Of(float[] vector, Param p) => vector.AsSpan(_offsets[p], p.Value.Length);

    /// <summary>Values from the reference network (rounded to float32).</summary>
    public void Load()
    {
        foreach (var p in _params)
        {
            var target = Of(p);
            for (var i = 0; i < target.Length; i++)
            {
                target[i] = (float)p.Value[i];
            }
        }
    }

    /// <summary>Values into the reference network (exact: every float32 is a double).</summary>
    public void Store() => Store(Values);

    public void Store(float[] values)
    {
        foreach (var p in _params)
        {
            var source = values.AsSpan(_offsets[p], p.Value.Length);
            for (var i = 0; i < source.Length; i++)
            {
                p.Value[i] = source[i];
            }
        }
    }

    /// <summary>Transposes of the matrices that the batched products read as W^T: GRU input and recurrent weights, the head, the decoders, the attention queries.</summary>
    internal PreparedWeights Prepare()
    {
        var r = Reference;
        var (w1, _, w2, _) = r.Head;
        var matrices = r.Encoders.SelectMany(e => e.Layers).SelectMany(l => l).SelectMany(d => new[] { d.W, d.R })
            .Concat([w1, w2]).Concat(r.Decoders.Weights).Concat(r.QueryWeights);
        var used = _params.ToHashSet(ReferenceEqualityComparer.Instance);
        return new PreparedWeights(this, matrices.Where(used.Contains));
    }

    /// <summary>The reference network's accumulated gradients in this layout (for parity checks).</summary>
    public float[] ReferenceGradients()
    {
        var grad = new float[Count];
        foreach (var p in _params)
        {
            var target = Of(grad, p);
            for (var i = 0; i < target.Length; i++)
            {
                target[i] = (float)p.Grad[i];
            }
        }
        return grad;
    }
}

/// <summary>The transposed weight matrices one optimiser step's products read (made once per step, shared by every shard).</summary>
internal sealed class PreparedWeights
{
    private readonly Dictionary<Param, float[]> _transposed = new(ReferenceEqualityComparer.Instance);
    private readonly FusionParameters _parameters;

    public PreparedWeights(FusionParameters parameters, IEnumerable<Param> matrices)
    {
        _parameters = parameters;
        foreach (var p in matrices)
        {
            _transposed[p] = new float[p.Value.Length];
        }
        Refresh();
    }

    /// <summary>Recomputes every transpose from the current values (after an optimiser step).</summary>
    public void Refresh(int threads = 1) =>
        Parallel.ForEach(_transposed, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, pair =>
            Sgemm.Transpose(_parameters.Of(pair.Key), pair.Key.Shape[0], pair.Key.Shape[1], pair.Value));

    /// <summary>W^T [cols, rows] of a [rows, cols] parameter.</summary>
    public ReadOnlySpan<float> Transposed(Param p) => _transposed[p];
}
