using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Features;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Pose;

namespace EmmaNet.Batch.Pipeline;

/// <summary>
/// The frame networks a run uses, each one a stage of the pipeline (<see cref="Stages"/>) run on batches that may mix
/// videos: the face detector always; with a mesh model every face's mesh (for <c>faces.parquet</c>'s head pose and
/// measures; the expression CNN's crop then follows the mesh instead of the detection box, which is steadier:
/// docs/benchmarks.md, "The expression crop"); with an expression model every face aligned and read in one batch;
/// with an identity model the faces of the 2 Hz step frames described (re-identification across cuts); with a pose
/// model the people on the step frames. With <paramref name="oneStage"/> every network runs in one stage, one after
/// the other on one thread: the layout before the networks were cut into stages, kept for <c>bench</c>'s comparison.
/// </summary>
public sealed class FrameAnalyzer(IFaceDetector detector, ExpressionModel? expression = null, IPoseEstimator? pose = null, bool oneStage = false, FaceIdentityModel? identity = null, FaceMeshModel? mesh = null)
{
    /// <summary>The expression crop from the detection box, without a mesh: the box's larger side, eyes levelled.</summary>
    public static readonly FaceAligner BoxCrop = new(ExpressionModel.InputSize, 1.0f);

    /// <summary>The expression crop from the mesh's landmarks: their bounding box, levelled by the mesh's eye corners.</summary>
    public static readonly FaceAligner MeshCrop = new(ExpressionModel.InputSize, 1.0f);

    // The expression crops, kept per thread (a stage's, or bench's) and rewritten for every batch: made per face they
    // were most of what the frame stages allocated (37 KB a face, about 4 MB a second on the many-face sample).
    [ThreadStatic]
    private static List<Imaging.BgrImage>? t_crops;

    public bool WithFeatures => expression is not null && pose is not null;

    /// <summary>Where the face detector runs (an ONNX Runtime execution provider's name).</summary>
    public string DetectorProvider => detector.Model.ExecutionProvider;

    /// <summary>CPU seconds each network took, with its pre- and post-processing, since this analyzer was made.</summary>
    public CpuMeter Cpu { get; } = new();

    /// <summary>The models whose output the face table holds: the detector and, when on, the mesh and its iris model.</summary>
    public IEnumerable<(string Role, ModelIdentity Model)> FaceTableModels =>
        mesh is null ? [("face_detector", detector.Model)] : [("face_detector", detector.Model), ("face_mesh", mesh.Model), ("face_iris", mesh.Iris)];

    /// <summary>The models whose output the features hold (the mesh places the expression crop).</summary>
    public IEnumerable<(string Role, ModelIdentity Model)> Models
    {
        get
        {
            yield return ("face_detector", detector.Model);
            if (mesh is not null && expression is not null)
            {
                yield return ("face_mesh", mesh.Model);
                yield return ("face_iris", mesh.Iris);
            }
            if (expression is not null)
            {
                yield return ("face_expression", expression.Model);
            }
            if (pose is not null)
            {
                yield return ("body_pose", pose.Model);
            }
            if (identity is not null)
            {
                yield return (Fusion.ExtractorIdentity.FaceIdentityRole, identity.Model);
            }
        }
    }


    /// <summary>
    /// A frame network's stage: its name, what it does to a batch of frames (their pixels and what earlier stages
    /// found), and which frames' pixels it reads (the pipeline releases a frame's pixels after the last stage that
    /// reads them: identity and pose read only the 2 Hz step frames).
    /// </summary>
    public sealed record Stage(string Name, Action<IReadOnlyList<FrameWork>> Run, Func<FrameWork, bool> Reads);

    private static bool AnyFrame(FrameWork frame) => true;

    private static bool WithFaces(FrameWork frame) => frame.Faces is { Count: > 0 };

    private static bool StepWithFaces(FrameWork frame) => frame.IsStep && WithFaces(frame);

    private static bool Step(FrameWork frame) => frame.IsStep;

    /// <summary>The stages, in the order the pipeline runs them (each one needs only those before it).</summary>
    public IReadOnlyList<Stage> Stages
    {
        get
        {
            var stages = new List<Stage> { new("face_detector", DetectFaces, AnyFrame) };
            if (mesh is not null)
            {
                stages.Add(new("mesh", ReadMeshes, WithFaces));
            }
            if (expression is not null)
            {
                stages.Add(new("expression", ReadExpressions, WithFaces));
            }
            if (identity is not null)
            {
                stages.Add(new("identity", ReadIdentities, StepWithFaces));
            }
            if (pose is not null)
            {
                stages.Add(new("pose", DetectPeople, Step));
            }
            return oneStage ? [new("frame_networks", frames => stages.ForEach(stage => stage.Run(frames)), AnyFrame)] : stages;
        }
    }

    /// <summary>Every stage on <paramref name="frames"/>, in order, on this thread (the frames stay the caller's).</summary>
    public FrameResult[] Analyze(IReadOnlyList<VideoFrame> frames)
    {
        var work = frames.Select(f => new FrameWork(f)).ToList();
        foreach (var stage in Stages)
        {
            stage.Run(work);
        }
        return work.Select(w => w.Result()).ToArray();
    }

    private void DetectFaces(IReadOnlyList<FrameWork> frames)
    {
        using var _ = Cpu.Measure("face_detector");
        var found = detector.Detect(frames.Select(f => f.Frame).ToList());
        for (var i = 0; i < frames.Count; i++)
        {
            frames[i].Faces = found[i];
        }
    }

    private void ReadMeshes(IReadOnlyList<FrameWork> frames)
    {
        using var _ = Cpu.Measure("mesh");
        foreach (var frame in frames)
        {
            // A frame without faces may have given its pixels back already (no later stage reads it).
            frame.Meshes = WithFaces(frame) ? mesh!.Describe(frame.Frame.View, frame.Faces!) : [];
        }
    }

    /// <summary>The people on the step frames, in one call.</summary>
    private void DetectPeople(IReadOnlyList<FrameWork> frames)
    {
        using var _ = Cpu.Measure("pose");
        var steps = frames.Where(Step).ToList();
        if (steps.Count == 0)
        {
            return;
        }
        var people = pose!.Detect(steps.Select(f => f.Frame).ToList());
        for (var i = 0; i < steps.Count; i++)
        {
            steps[i].People = people[i];
        }
    }

    /// <summary>Every face aligned (by its mesh when there is one) and read by the expression CNN in one batch.</summary>
    private void ReadExpressions(IReadOnlyList<FrameWork> frames)
    {
        using var _ = Cpu.Measure("expression");
        var crops = t_crops ??= [];
        var count = 0;
        foreach (var frame in frames)
        {
            for (var f = 0; f < frame.Faces!.Count; f++, count++)
            {
                if (count == crops.Count)
                {
                    crops.Add(new Imaging.BgrImage(ExpressionModel.InputSize, ExpressionModel.InputSize));
                }
                if (frame.Meshes is { } m)
                {
                    MeshCrop.CropInto(frame.Frame.View, MeshCrop.Map(m[f]), crops[count]);
                }
                else
                {
                    BoxCrop.CropInto(frame.Frame.View, frame.Faces[f], crops[count]);
                }
            }
        }
        var all = expression!.Run(crops.GetRange(0, count));
        var next = 0;
        foreach (var frame in frames)
        {
            frame.Expressions = all.Skip(next).Take(frame.Faces!.Count).ToList();
            next += frame.Faces.Count;
        }
    }

    /// <summary>The faces of the step frames described by the identity model.</summary>
    private void ReadIdentities(IReadOnlyList<FrameWork> frames)
    {
        using var _ = Cpu.Measure("identity");
        foreach (var frame in frames.Where(Step))
        {
            frame.Descriptors = WithFaces(frame) ? identity!.Describe(frame.Frame.View, frame.Faces!) : [];
        }
    }
}
