using EmmaNet.Batch.Audio;
using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Faces;
using EmmaNet.Batch.Models;
using EmmaNet.Batch.Pose;

namespace EmmaNet.Batch.Features;

/// <summary>
/// Turns one video into per-subject features on the EMMA-Net timeline (EMMA-NET.md sections 1-2):
/// the 6 Hz face stream is decoded once (faces detected, tracked, aligned and embedded; PoseNet run on the frames
/// that fall on 2 Hz steps) while the audio is decoded alongside; the pose model is PoseNet or a user's OpenPose ONNX; subjects are then chosen from the tracks, and each
/// subject gets its 6 Hz ticks and its 2 Hz steps with presence masks.
/// </summary>
/// <remarks>The tracked faces' features are held until the video ends (subjects are chosen from whole tracks): about
/// 1 KB per face per tick.</remarks>
public sealed class VideoFeatureExtractor(IFaceDetector detector, ExpressionModel expression, IPoseEstimator pose, SileroVad vad, DeepSpectrumModel? deepSpectrum = null)
{
    private const int Batch = 8;

    public IEnumerable<(string Role, ModelIdentity Model)> Extractors =>
        deepSpectrum is null
            ? [("face_detector", detector.Model), ("face_expression", expression.Model), ("body_pose", pose.Model), ("voice_activity", vad.Model)]
            : [("face_detector", detector.Model), ("face_expression", expression.Model), ("body_pose", pose.Model), ("voice_activity", vad.Model), ("audio_cnn", deepSpectrum.Model)];

    private readonly AudioFeatureExtractor _audio = new(vad, deepSpectrum);

    public async Task<VideoFeatures> ExtractAsync(MediaInfo media, SubjectChoice choice, CancellationToken cancellationToken)
    {
        var audio = Task.Run(async () =>
        {
            var steps = new List<AudioStep>();
            await foreach (var step in _audio.ExtractAsync(media, cancellationToken: cancellationToken))
            {
                steps.Add(step);
            }
            return steps;
        }, cancellationToken);

        var tracker = new FaceTracker();
        var aligner = new FaceAligner(ExpressionModel.InputSize);
        var tracked = new List<(TrackedFace Face, long FrameIndex, float[] Features)>();
        var skeletons = new Dictionary<int, List<Skeleton>>();
        var frameIndex = new Dictionary<int, long>();
        var reader = new VideoFrameReader(media, FrameSampling.FaceStream);
        var batch = new List<VideoFrame>(Batch);
        try
        {
            await foreach (var frame in reader.ReadAsync(cancellationToken))
            {
                batch.Add(frame);
                if (batch.Count == Batch)
                {
                    Process(batch, tracker, aligner, tracked, skeletons, frameIndex);
                }
            }
            Process(batch, tracker, aligner, tracked, skeletons, frameIndex);
        }
        finally
        {
            batch.ForEach(f => f.Dispose());
        }
        var audioSteps = await audio;

        var subjects = SubjectSelection.Select(tracked.Select(t => t.Face), choice);
        var ticks = new List<FaceTick>();
        var steps = new List<FeatureStep>();
        var tickCount = frameIndex.Count == 0 ? 0 : frameIndex.Keys.Max() + 1;
        foreach (var subject in subjects)
        {
            var mine = tracked.Where(t => t.Face.TrackId == subject).ToDictionary(t => t.Face.Tick);
            for (var tick = 0; tick < tickCount; tick++)
            {
                if (!frameIndex.TryGetValue(tick, out var index))
                {
                    continue;
                }
                ticks.Add(mine.TryGetValue(tick, out var f)
                    ? new FaceTick(subject, tick, f.Face.Time, f.FrameIndex, f.Face.Face, f.Features)
                    : new FaceTick(subject, tick, tick / FrameSampling.FaceStream.RateHz, index, null, null));
            }
            foreach (var a in audioSteps)
            {
                // The step's 0.5 s bin: face ticks within a quarter second of the step.
                var present = mine.Values.Where(t => Math.Abs(t.Face.Time - a.Time) < AudioTimeline.StepSeconds / 2).ToList();
                var face = present.Count == 0 ? null : Mean(present.Select(p => p.Features));
                var stepTick = a.Step * 3;
                float[]? poseFeatures = null;
                if (present.Count > 0 && skeletons.TryGetValue(stepTick, out var people))
                {
                    // The body is the one whose head lies in the subject's face nearest the step.
                    var anchor = present.MinBy(p => Math.Abs(p.Face.Time - a.Time)).Face.Face;
                    var matched = PoseFeatures.MatchToFace(people, anchor);
                    poseFeatures = matched is null ? null : PoseFeatures.Normalise(matched);
                }
                steps.Add(new FeatureStep(subject, a.Step, a.Time, face, a, poseFeatures));
            }
        }
        return new VideoFeatures(subjects, ticks, steps, reader.DecodedFrames, _audio.ColumnNames);
    }

    private void Process(List<VideoFrame> batch, FaceTracker tracker, FaceAligner aligner, List<(TrackedFace, long, float[])> tracked,
        Dictionary<int, List<Skeleton>> skeletons, Dictionary<int, long> frameIndex)
    {
        if (batch.Count == 0)
        {
            return;
        }
        var faces = detector.Detect(batch);
        var crops = new List<OpenCvSharp.Mat>();
        var owners = new List<(TrackedFace Face, long FrameIndex)>();
        try
        {
            var stepFrames = new List<(int Tick, VideoFrame Frame)>();
            for (var i = 0; i < batch.Count; i++)
            {
                var tick = (int)Math.Round(batch[i].Timestamp * FrameSampling.FaceStream.RateHz);
                frameIndex[tick] = batch[i].FrameIndex;
                using var image = batch[i].CopyToMat();
                foreach (var face in tracker.Update(tick, batch[i].Timestamp, faces[i]))
                {
                    crops.Add(aligner.Crop(image, face.Face));
                    owners.Add((face, batch[i].FrameIndex));
                }
                if (tick % 3 == 0)
                {
                    stepFrames.Add((tick, batch[i]));
                }
            }
            var features = expression.Run(crops);
            for (var i = 0; i < owners.Count; i++)
            {
                tracked.Add((owners[i].Face, owners[i].FrameIndex, FaceFeature.From(features[i])));
            }
            var people = pose.Detect(stepFrames.Select(s => s.Frame).ToList());
            for (var i = 0; i < stepFrames.Count; i++)
            {
                skeletons[stepFrames[i].Tick] = people[i];
            }
        }
        finally
        {
            crops.ForEach(c => c.Dispose());
            batch.ForEach(f => f.Dispose());
            batch.Clear();
        }
    }

    private static float[] Mean(IEnumerable<float[]> vectors)
    {
        var list = vectors.ToList();
        var mean = new float[list[0].Length];
        foreach (var v in list)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(mean, v, mean);
        }
        System.Numerics.Tensors.TensorPrimitives.Divide(mean, list.Count, mean);
        return mean;
    }
}
