using EmmaNet.Batch.Abaw;
using EmmaNet.Batch.Features;

namespace EmmaNet.Batch.Fusion;

/// <summary>
/// The distillation targets of the default fusion model: the face expression CNN's own reading of the current face,
/// carried in f_c as its 7 log-probabilities (FER-2013 order: angry, disgust, fear, happy, sad, surprise, neutral),
/// moved to the 8 ABAW classes (Neutral, Anger, Disgust, Fear, Happiness, Sadness, Surprise, Other). FER has no
/// "Other", so the teacher never gives it mass.
/// </summary>
public static class TeacherTargets
{
    /// <summary>ABAW class of each FER class.</summary>
    public static readonly int[] FerToAbaw = [1, 2, 3, 4, 5, 6, 0];

    /// <summary>
    /// A temporally pooled teacher: for each tick, the mean of the readings of the subject's ticks within
    /// <paramref name="seconds"/> / 2 of it (the tick itself included). 0 gives each tick its own reading.
    /// </summary>
    /// <param name="own">Each tick's own reading (<see cref="Of"/>), in tick order.</param>
    public static double[][] Pooled(IReadOnlyList<TickInput> ticks, IReadOnlyList<double[]> own, double seconds)
    {
        if (seconds <= 0)
        {
            return own.ToArray();
        }
        var pooled = new double[ticks.Count][];
        var first = 0;
        for (var i = 0; i < ticks.Count; i++)
        {
            while (ticks[i].Time - ticks[first].Time > (seconds / 2) + 1e-9)
            {
                first++;
            }
            var sum = new double[ExpressionMetrics.Classes];
            var count = 0;
            for (var j = first; j < ticks.Count && ticks[j].Time - ticks[i].Time <= (seconds / 2) + 1e-9; j++)
            {
                for (var c = 0; c < sum.Length; c++)
                {
                    sum[c] += own[j][c];
                }
                count++;
            }
            pooled[i] = sum.Select(v => v / count).ToArray();
        }
        return pooled;
    }

    public static double[] Of(float[] faceNow)
    {
        var target = new double[ExpressionMetrics.Classes];
        var offset = FaceFeature.EmbeddingCount;
        double sum = 0;
        for (var k = 0; k < FerToAbaw.Length; k++)
        {
            var p = Math.Exp(faceNow[offset + k]);
            target[FerToAbaw[k]] = p;
            sum += p;
        }
        for (var c = 0; c < target.Length; c++)
        {
            target[c] /= sum;
        }
        return target;
    }
}
