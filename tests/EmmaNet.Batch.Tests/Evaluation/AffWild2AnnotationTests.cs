using EmmaNet.Batch.Abaw;
using EmmaNet.Batch.Evaluation;
using EmmaNet.Batch.Tests.Support;

namespace EmmaNet.Batch.Tests.Evaluation;

public sealed class AffWild2AnnotationTests : IDisposable
{
    private readonly TempFolder _temp = new();

    private string Write(string name, params string[] lines)
    {
        var path = _temp.File(name + ".txt");
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void Reads_labels_per_frame_with_unlabelled_frames_and_the_side()
    {
        var a = ExprAnnotation.Read(Write("10-60-1280x720_right", ExprAnnotation.Header, "0", "-1", "4", "4", "7"));
        Assert.Equal(("10-60-1280x720", "right"), (a.VideoId, a.Side));
        Assert.Equal([0, -1, 4, 4, 7], a.Labels);
        Assert.Equal([1, 0, 0, 0, 2, 0, 0, 1], a.ClassCounts());
        var single = ExprAnnotation.Read(Write("video7", ExprAnnotation.Header, "3", ""));
        Assert.Equal(("video7", (string?)null), (single.VideoId, single.Side));
        Assert.Equal([3], single.Labels);
    }

    [Fact]
    public void A_wrong_header_or_label_names_the_file_and_line()
    {
        var header = Write("bad-header", "Neutral,Anger", "0");
        Assert.StartsWith($"{header}:1: expected the header", Assert.Throws<FormatException>(() => ExprAnnotation.Read(header)).Message, StringComparison.Ordinal);
        var label = Write("bad-label", ExprAnnotation.Header, "0", "9");
        Assert.Equal($"{label}:3: '9' is not a label (-1 or 0..7)", Assert.Throws<FormatException>(() => ExprAnnotation.Read(label)).Message);
    }

    [Fact]
    public void Training_files_also_in_validation_are_dropped()
    {
        var train = new[] { new ExprAnnotation("122-60-1920x1080-2", "122-60-1920x1080-2", null, [0]), new ExprAnnotation("a", "a", null, [1]) };
        var validation = new[] { new ExprAnnotation("122-60-1920x1080-2", "122-60-1920x1080-2", null, [0]) };
        Assert.Equal(["a"], ExprSplits.WithoutDuplicates(train, validation).Select(f => f.Name));
    }

    [Fact]
    public void Five_folds_keep_videos_whole_and_the_class_distribution_even()
    {
        var random = new Random(5);
        // Imbalanced like Aff-Wild2: neutral and happiness common, fear and disgust rare.
        double[] prior = [0.35, 0.06, 0.03, 0.03, 0.2, 0.1, 0.08, 0.15];
        var files = new List<ExprAnnotation>();
        for (var v = 0; v < 60; v++)
        {
            var length = random.Next(200, 3000);
            var labels = Enumerable.Range(0, length).Select(_ =>
            {
                var u = random.NextDouble();
                var c = 0;
                for (var acc = prior[0]; u > acc && c < 7; acc += prior[++c])
                {
                }
                return random.NextDouble() < 0.05 ? -1 : c;
            }).ToArray();
            var name = v == 3 ? "pair" : $"video{v}";
            files.Add(new ExprAnnotation(v == 3 ? "pair_left" : name, name, v == 3 ? "left" : null, labels));
            if (v == 3)
            {
                files.Add(new ExprAnnotation("pair_right", "pair", "right", labels.Reverse().ToArray()));
            }
        }
        var folds = ExprSplits.Folds(files);
        Assert.Equal(5, folds.Count);
        Assert.Equal(files.Count, folds.Sum(f => f.Count));
        Assert.Equal(files.Select(f => f.Name).Order(), folds.SelectMany(f => f).Select(f => f.Name).Order());
        Assert.Single(folds, f => f.Any(a => a.VideoId == "pair"));
        Assert.Equal(2, folds.Single(f => f.Any(a => a.VideoId == "pair")).Count(a => a.VideoId == "pair"));

        var total = files.Select(f => f.ClassCounts()).Aggregate(new int[8], (s, c) => s.Zip(c, (a, b) => a + b).ToArray());
        foreach (var fold in folds)
        {
            var counts = fold.Select(f => f.ClassCounts()).Aggregate(new int[8], (s, c) => s.Zip(c, (a, b) => a + b).ToArray());
            var size = (double)counts.Sum();
            Assert.InRange(size / total.Sum(), 0.15, 0.25);
            for (var c = 0; c < 8; c++)
            {
                Assert.InRange(counts[c] / size, (total[c] / (double)total.Sum()) - 0.03, (total[c] / (double)total.Sum()) + 0.03);
            }
        }
    }

    public void Dispose() => _temp.Dispose();
}
