using EmmaNet.Batch.Audio;
using Parquet;
using Parquet.Schema;

namespace EmmaNet.Batch.Fusion;

/// <summary>A fusion input built for one subject at one face tick, with where it stands in the video.</summary>
public sealed record TickWindow(int Subject, int Tick, long FrameIndex, double Time, FusionWindow Window);

/// <summary>
/// Builds fusion windows from <c>extract</c>'s tables (schema features/1): for every face tick of a subject where the
/// face is present, f_c is the tick's face feature and the sequences are the T steps centred on the tick
/// (steps k0 - T/2 .. k0 + T/2 - 1, k0 the nearest step), absent beyond the video's ends.
/// </summary>
public static class FeatureWindows
{
    public static async Task<List<TickWindow>> LoadAsync(string stepsPath, string ticksPath, int steps, CancellationToken cancellationToken)
    {
        var stepTable = await ReadAsync(stepsPath, cancellationToken);
        var tickTable = await ReadAsync(ticksPath, cancellationToken);
        string[] faceColumns = [.. Enumerable.Range(0, 256).Select(i => $"face_emb_{i:000}"), .. Features.FeatureTables.ExpressionColumns()];
        var audioColumns = stepTable.Keys.Where(k => k.StartsWith("audio_", StringComparison.Ordinal) && k != "audio_present").ToArray();
        var poseColumns = stepTable.Keys.Where(k => k.StartsWith("pose_", StringComparison.Ordinal) && k != "pose_present").ToArray();

        var bySubject = Enumerable.Range(0, stepTable["subject"].Length).GroupBy(r => (int)stepTable["subject"][r]!.Value)
            .ToDictionary(g => g.Key, g => g.ToDictionary(r => (int)stepTable["step"][r]!.Value));
        var windows = new List<TickWindow>();
        for (var r = 0; r < tickTable["tick"].Length; r++)
        {
            if (tickTable["face_present"][r] is not > 0)
            {
                continue;
            }
            var subject = (int)tickTable["subject"][r]!.Value;
            var time = tickTable["time_s"][r]!.Value;
            var rows = bySubject[subject];
            var centre = (int)Math.Round(time / AudioTimeline.StepSeconds);
            var face = new double[steps][];
            var audio = new double[steps][];
            var pose = new double[steps][];
            var present = new bool[steps][];
            for (var t = 0; t < steps; t++)
            {
                var k = centre - (steps / 2) + t;
                var has = rows.TryGetValue(k, out var row);
                face[t] = has ? Row(stepTable, faceColumns, row) : new double[faceColumns.Length];
                audio[t] = has ? Row(stepTable, audioColumns, row) : new double[audioColumns.Length];
                pose[t] = has ? Row(stepTable, poseColumns, row) : new double[poseColumns.Length];
                present[t] = has ? [stepTable["face_present"][row] > 0, stepTable["audio_present"][row] > 0, stepTable["pose_present"][row] > 0] : [false, false, false];
            }
            windows.Add(new TickWindow(subject, (int)tickTable["tick"][r]!.Value, (long)tickTable["frame_index"][r]!.Value, time,
                new FusionWindow(face, audio, pose, Row(tickTable, faceColumns, r), present)));
        }
        return windows;
    }

    private static double[] Row(Dictionary<string, double?[]> table, string[] columns, int row) =>
        columns.Select(c => table[c][row] ?? 0).ToArray();

    /// <summary>Every column of a features table as nullable doubles (booleans as 0/1).</summary>
    private static async Task<Dictionary<string, double?[]>> ReadAsync(string path, CancellationToken cancellationToken)
    {
        await using var reader = await ParquetReader.CreateAsync(path, cancellationToken: cancellationToken);
        var fields = reader.Schema.GetDataFields().Where(f => f.Name != "video_id").ToArray();
        var columns = fields.ToDictionary(f => f.Name, _ => new List<double?>(), StringComparer.Ordinal);
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var count = (int)group.RowCount;
            foreach (var field in fields)
            {
                columns[field.Name].AddRange(await ReadColumn(group, field, count, cancellationToken));
            }
        }
        return columns.ToDictionary(c => c.Key, c => c.Value.ToArray(), StringComparer.Ordinal);
    }

    private static Task<double?[]> ReadColumn(ParquetRowGroupReader group, DataField field, int count, CancellationToken cancellationToken) =>
        field.ClrType == typeof(float) ? Read<float>(group, field, count, v => v, cancellationToken)
        : field.ClrType == typeof(double) ? Read<double>(group, field, count, v => v, cancellationToken)
        : field.ClrType == typeof(int) ? Read<int>(group, field, count, v => v, cancellationToken)
        : field.ClrType == typeof(long) ? Read<long>(group, field, count, v => v, cancellationToken)
        : Read<bool>(group, field, count, v => v ? 1 : 0, cancellationToken);

    /// <summary>Reads one column with the overload that matches its nullability (a required column read as nullable comes back incomplete).</summary>
    private static async Task<double?[]> Read<T>(ParquetRowGroupReader group, DataField field, int count, Func<T, double> convert, CancellationToken cancellationToken)
        where T : struct
    {
        if (field.IsNullable)
        {
            var nullable = new T?[count];
            await group.ReadAsync<T>(field, nullable, cancellationToken: cancellationToken);
            return nullable.Select(v => v is null ? (double?)null : convert(v.Value)).ToArray();
        }
        var values = new T[count];
        await group.ReadAsync<T>(field, values, cancellationToken: cancellationToken);
        return values.Select(v => (double?)convert(v)).ToArray();
    }
}
