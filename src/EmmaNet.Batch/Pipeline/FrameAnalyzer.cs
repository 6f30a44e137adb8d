using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Features;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Pose;

namespace EmmaNet.Batch.Pipeline;

/// <summary>
/// The pipeline's per-frame stage, run on batches that may mix videos: faces always; with an expression model, every
/// face aligned and read by it in one batch; with a pose model, people on the frames that fall on 2 Hz steps.
/// PoseNet runs on a second thread beside the faces unless <paramref name="poseBesideFaces"/> is false (one thread
/// for all: the earlier behaviour, kept for <c>bench</c>'s comparison and for single-core boxes). With an identity
/// model, the faces of step frames get descriptors (for re-identification across cuts), on a thread of their own; with a
/// mesh model, every face gets its mesh (for <c>faces.parquet</c>'s head pose and measures), and the expression CNN's
/// crop follows the mesh instead of the detection box (steadier: docs/benchmarks.md, "The expression crop").
/// </summary>
public sealed class FrameAnalyzer(IFaceDetector detector, ExpressionModel? expression = null, IPoseEstimator? pose = null, bool poseBesideFaces = true, FaceIdentityModel? identity = null, FaceMeshModel? mesh = null)
{
    /// <summary>The expression crop from the detection box, without a mesh: the box's larger side, eyes levelled.</summary>
    public static readonly FaceAligner BoxCrop = new(ExpressionModel.InputSize, 1.0f);

    /// <summary>The expression crop from the mesh's landmarks: their bounding box, levelled by the mesh's eye corners.</summary>
    public static readonly FaceAligner MeshCrop = new(ExpressionModel.InputSize, 1.0f);

    public bool WithFeatures => expression is not null && pose is not null;

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


    public FrameResult[] Analyze(IReadOnlyList<VideoFrame> frames)
    {
        // PoseNet does not depend on the faces: it runs on another thread while the detector and the expression CNN
        // run here (each network has its own session; both only read the frames' pixels).
        var stepFrames = pose is null ? [] : Enumerable.Range(0, frames.Count).Where(i => FaceTicks.IsStep(FaceTicks.Of(frames[i].Timestamp))).ToList();
        List<Skeleton>[] DetectPeople() => pose!.Detect(stepFrames.Select(i => frames[i]).ToList());
        var poses = stepFrames.Count == 0 ? Task.FromResult(Array.Empty<List<Skeleton>>())
            : poseBesideFaces ? Task.Run(DetectPeople) : Task.FromResult(DetectPeople());
        IReadOnlyList<FaceDetection>[] faces;
        var expressions = new IReadOnlyList<ExpressionFeatures>?[frames.Count];
        var descriptors = new IReadOnlyList<float[]>?[frames.Count];
        var meshes = new IReadOnlyList<FaceMesh>?[frames.Count];
        var identifying = Task.CompletedTask;
        try
        {
            faces = detector.Detect(frames);
            if (identity is not null)
            {
                // The descriptors run beside the mesh and the expression CNN, as PoseNet does (their own session).
                var detected = faces;
                if (poseBesideFaces)
                {
                    identifying = Task.Run(() => ReadIdentities(frames, detected, descriptors));
                }
                else
                {
                    ReadIdentities(frames, detected, descriptors);
                }
            }
            if (mesh is not null)
            {
                ReadMeshes(frames, faces, meshes);
            }
            if (expression is not null)
            {
                ReadExpressions(frames, faces, meshes, expressions);
            }
        }
        finally
        {
            // Never return (and let the frames be released) while PoseNet or the identity model still reads them.
            Task.WhenAll(poses, identifying).ContinueWith(_ => { }, TaskScheduler.Default).Wait();
        }
        identifying.GetAwaiter().GetResult();
        var found = poses.GetAwaiter().GetResult();
        var people = new List<Skeleton>?[frames.Count];
        for (var j = 0; j < stepFrames.Count; j++)
        {
            people[stepFrames[j]] = found[j];
        }
        return Enumerable.Range(0, frames.Count)
            .Select(i => new FrameResult(frames[i].FrameIndex, frames[i].Timestamp, frames[i].Width, frames[i].Height, faces[i], expressions[i], people[i], descriptors[i], meshes[i]))
            .ToArray();
    }

    private void ReadMeshes(IReadOnlyList<VideoFrame> frames, IReadOnlyList<FaceDetection>[] faces, IReadOnlyList<FaceMesh>?[] meshes)
    {
        for (var i = 0; i < frames.Count; i++)
        {
            meshes[i] = mesh!.Describe(frames[i].View, faces[i]);
        }
    }

    /// <summary>Every face aligned (by its mesh when there is one) and read by the expression CNN in one batch.</summary>
    private void ReadExpressions(IReadOnlyList<VideoFrame> frames, IReadOnlyList<FaceDetection>[] faces, IReadOnlyList<FaceMesh>?[] meshes, IReadOnlyList<ExpressionFeatures>?[] expressions)
    {
        var crops = new List<Imaging.BgrImage>();
        for (var i = 0; i < frames.Count; i++)
        {
            for (var f = 0; f < faces[i].Count; f++)
            {
                crops.Add(meshes[i] is { } m ? MeshCrop.Crop(frames[i].View, m[f]) : BoxCrop.Crop(frames[i].View, faces[i][f]));
            }
        }
        var all = expression!.Run(crops);
        var next = 0;
        for (var i = 0; i < frames.Count; i++)
        {
            expressions[i] = all.Skip(next).Take(faces[i].Count).ToList();
            next += faces[i].Count;
        }
    }

    /// <summary>The faces of the step frames described by the identity model.</summary>
    private void ReadIdentities(IReadOnlyList<VideoFrame> frames, IReadOnlyList<FaceDetection>[] faces, IReadOnlyList<float[]>?[] descriptors)
    {
        for (var i = 0; i < frames.Count; i++)
        {
            if (FaceTicks.IsStep(FaceTicks.Of(frames[i].Timestamp)))
            {
                descriptors[i] = identity!.Describe(frames[i].View, faces[i]);
            }
        }
    }
}
