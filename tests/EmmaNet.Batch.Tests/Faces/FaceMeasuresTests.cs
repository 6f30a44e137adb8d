using System.Numerics;
using EmmaNet.Batch.Faces;

namespace EmmaNet.Batch.Tests.Faces;

/// <summary>Head pose and measures on a made-up mesh whose geometry is known, rotated and moved.</summary>
public sealed class FaceMeasuresTests
{
    /// <summary>A frontal face: eyes 60 apart on y = 0, forehead above, chin below, in the mesh's numbering (other points at the origin).</summary>
    private static Dictionary<int, Vector3> Frontal() => new()
    {
        [33] = new(-30, 0, 0), [133] = new(-10, 0, 0), [159] = new(-20, -3, 0), [145] = new(-20, 3, 0),
        [263] = new(30, 0, 0), [362] = new(10, 0, 0), [386] = new(20, -2, 0), [374] = new(20, 2, 0),
        [10] = new(0, -50, 5), [152] = new(0, 70, 5),
        [61] = new(-25, 40, 3), [291] = new(25, 40, 3), [13] = new(0, 38, 0), [14] = new(0, 44, 0),
        [105] = new(-20, -15, 0), [334] = new(20, -15, 0),
    };

    private static Matrix4x4 Rotation(double yaw, double pitch, double roll)
    {
        static float R(double degrees) => (float)(degrees * Math.PI / 180);
        var (cy, sy, cp, sp, cr, sr) = (MathF.Cos(R(yaw)), MathF.Sin(R(yaw)), MathF.Cos(R(pitch)), MathF.Sin(R(pitch)), MathF.Cos(R(roll)), MathF.Sin(R(roll)));
        // Column-vector matrices (as FaceMeasures documents them), written transposed for System.Numerics' row vectors.
        var ry = new Matrix4x4(cy, 0, sy, 0, 0, 1, 0, 0, -sy, 0, cy, 0, 0, 0, 0, 1);
        var rx = new Matrix4x4(1, 0, 0, 0, 0, cp, -sp, 0, 0, sp, cp, 0, 0, 0, 0, 1);
        var rz = new Matrix4x4(cr, sr, 0, 0, -sr, cr, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1);
        // Row vectors: v * Rz^T * Rx^T * Ry^T = (Ry Rx Rz v)^T.
        return rz * rx * ry;
    }

    private static FaceMesh Mesh(Dictionary<int, Vector3> points, Matrix4x4 rotation, Vector3 shift)
    {
        var flat = new float[FaceMesh.PointCount * 3];
        foreach (var (index, p) in points)
        {
            var q = Vector3.Transform(p, rotation) + shift;
            (flat[3 * index], flat[(3 * index) + 1], flat[(3 * index) + 2]) = (q.X, q.Y, q.Z);
        }
        return new FaceMesh(flat, 1);
    }

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(30, 0, 0)]
    [InlineData(-45, 0, 0)]
    [InlineData(0, 20, 0)]
    [InlineData(0, -25, 0)]
    [InlineData(0, 0, 15)]
    [InlineData(25, -10, 12)]
    [InlineData(-35, 15, -20)]
    public void A_rotated_mesh_gives_its_angles_back_and_the_same_ratios(double yaw, double pitch, double roll)
    {
        var m = FaceMeasures.From(Mesh(Frontal(), Rotation(yaw, pitch, roll), new Vector3(400, 300, 20)));
        Assert.Equal(yaw, m.Yaw, 0.01);
        Assert.Equal(pitch, m.Pitch, 0.01);
        Assert.Equal(roll, m.Roll, 0.01);
        Assert.Equal(0.3, m.EyeOpenRight, 1e-4);
        Assert.Equal(0.2, m.EyeOpenLeft, 1e-4);
        Assert.Equal(0.1, m.MouthOpen, 1e-4);
        Assert.Equal(50 / 60.0, m.MouthWidth, 1e-4);
        Assert.Equal(0.25, m.BrowRaise, 1e-4);
    }

    [Fact]
    public void Positive_yaw_turns_the_nose_toward_the_pictures_right_and_positive_pitch_looks_up()
    {
        // The nose (in front of the face, z < 0 towards the camera) after each rotation.
        var nose = new Vector3(0, 20, -30);
        Assert.True(Vector3.Transform(nose, Rotation(30, 0, 0)).X > 0);
        Assert.True(Vector3.Transform(nose, Rotation(0, 30, 0)).Y < 20);
        // Positive roll: the left eye (picture right) goes down the picture.
        Assert.True(Vector3.Transform(new Vector3(30, 0, 0), Rotation(0, 0, 15)).Y > 0);
    }

    [Fact]
    public void Landmarks_map_back_from_the_crop_to_the_frame()
    {
        var face = new FaceDetection(100, 120, 200, 220, 0.9f, [120, 150, 180, 160, 150, 180, 150, 200, 105, 160, 195, 165]);
        var aligner = new FaceAligner(192, FaceMeshModel.CropMargin);
        var map = aligner.Map(face);
        // A frame point taken into the crop by the map comes back.
        var (x, y) = (137.5, 171.25);
        float[] crop = [(float)((map[0] * x) + (map[1] * y) + map[2]), (float)((map[3] * x) + (map[4] * y) + map[5]), 10];
        var back = FaceMeshModel.ToFrame(crop, map);
        Assert.Equal(x, back[0], 1e-3);
        Assert.Equal(y, back[1], 1e-3);
        Assert.Equal(10 / Math.Sqrt((map[0] * map[4]) - (map[1] * map[3])), back[2], 1e-4);
    }
    /// <summary>The frontal mesh with each iris centre where an eyeball turned by the given gaze puts it, all rolled in the picture's plane.</summary>
    private static FaceMesh WithGaze(double gazeYaw, double gazePitch, double roll)
    {
        var points = Frontal();
        var rotation = Rotation(0, 0, roll);
        var shift = new Vector3(400, 300, 20);
        var irises = new float[FaceMesh.IrisValueCount];
        foreach (var (eye, outer, inner) in new[] { (0, 33, 133), (1, 362, 263) })
        {
            var width = Vector3.Distance(points[outer], points[inner]);
            var r = FaceMeasures.EyeballRadiusOverEyeWidth * width;
            var centre = ((points[outer] + points[inner]) / 2) + new Vector3((float)(r * Math.Sin(gazeYaw * Math.PI / 180)), (float)(-r * Math.Sin(gazePitch * Math.PI / 180)), 0);
            var q = Vector3.Transform(centre, rotation) + shift;
            (irises[eye * 2], irises[(eye * 2) + 1]) = (q.X, q.Y);
        }
        return Mesh(points, rotation, shift) with { Irises = irises };
    }

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(20, 0, 0)]
    [InlineData(-30, 0, 0)]
    [InlineData(0, 15, 0)]
    [InlineData(0, -20, 0)]
    [InlineData(25, -10, 20)]
    [InlineData(-15, 12, -35)]
    public void Irises_placed_by_a_turned_eyeball_give_its_gaze_back_whatever_the_roll(double yaw, double pitch, double roll)
    {
        var m = FaceMeasures.From(WithGaze(yaw, pitch, roll));
        Assert.Equal(yaw, m.GazeYaw, 0.01);
        Assert.Equal(pitch, m.GazePitch, 0.01);
        Assert.Equal(roll, m.Roll, 0.01);
    }

    [Fact]
    public void A_mesh_without_irises_has_no_gaze()
    {
        var m = FaceMeasures.From(Mesh(Frontal(), Matrix4x4.Identity, Vector3.Zero));
        Assert.True(float.IsNaN(m.GazeYaw) && float.IsNaN(m.GazePitch));
    }

    [Fact]
    public void Both_eye_crops_put_the_outer_corner_on_the_left_and_map_back_to_the_frame()
    {
        // MediaPipe's iris network sees every eye as a right eye: the left eye's crop is mirrored.
        var mesh = Mesh(Frontal(), Rotation(0, 0, 10), new Vector3(400, 300, 0));
        foreach (var (left, outer, inner) in new[] { (false, 33, 133), (true, 263, 362) })
        {
            var map = IrisModel.EyeMap(mesh, left);
            double CropX(Vector3 p) => (map[0] * p.X) + (map[1] * p.Y) + map[2];
            Assert.True(CropX(mesh[outer]) < IrisModel.InputSize / 2.0, $"left eye {left}: outer corner at x {CropX(mesh[outer]):F1}");
            Assert.True(CropX(mesh[inner]) > IrisModel.InputSize / 2.0, $"left eye {left}: inner corner at x {CropX(mesh[inner]):F1}");
            // The corners lie 64 / 2.3 crop pixels apart, and a crop point comes back to where it was.
            var p = mesh[inner];
            float[] crop = [(float)CropX(p), (float)((map[3] * p.X) + (map[4] * p.Y) + map[5]), 0];
            var back = FaceMeshModel.ToFrame(crop, map);
            Assert.Equal(p.X, back[0], 1e-3);
            Assert.Equal(p.Y, back[1], 1e-3);
            Assert.Equal(IrisModel.InputSize / IrisModel.CropScale, CropX(mesh[inner]) - CropX(mesh[outer]), 1e-3);
        }
    }
}
