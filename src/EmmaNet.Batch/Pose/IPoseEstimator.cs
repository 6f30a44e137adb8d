using EmmaNet.Batch.Decoding;
using EmmaNet.Batch.Models;

namespace EmmaNet.Batch.Pose;

/// <summary>Finds people in frames; skeletons come out in the 17 COCO keypoints of <see cref="CocoKeypoints"/>, in frame pixels.</summary>
public interface IPoseEstimator : IDisposable
{
    ModelIdentity Model { get; }

    List<Skeleton>[] Detect(IReadOnlyList<VideoFrame> frames);
}
