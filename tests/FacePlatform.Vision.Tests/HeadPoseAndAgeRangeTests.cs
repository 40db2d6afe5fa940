using System.Drawing;
using FacePlatform.Vision.Alignment;
using FacePlatform.Vision.Attributes;
using FacePlatform.Vision.Detection;

namespace FacePlatform.Vision.Tests;

public sealed class HeadPoseAndAgeRangeTests
{
    // An average head in eye distances (x towards the subject's left = the photo's right, y down, z towards the
    // camera): the model HeadPose assumes, so rotations of it must come back.
    private static readonly (float X, float Y, float Z)[] Head =
    [
        (-0.5f, 0, 0), // right eye
        (0.5f, 0, 0), // left eye
        (0, 0.568f, 0.5f), // nose tip
        (-0.4f, 1.15f, 0), // mouth right
        (0.4f, 1.15f, 0), // mouth left
    ];

    [Fact]
    public void A_frontal_upright_face_has_zero_pose()
    {
        var pose = HeadPose.Estimate(Project(0, 0, 0));

        Assert.Equal(0, pose.Yaw, 1);
        Assert.Equal(0, pose.Pitch, 1);
        Assert.Equal(0, pose.Roll, 1);
    }

    [Theory]
    [InlineData(30, 0, 0)]
    [InlineData(-30, 0, 0)]
    [InlineData(0, 20, 0)]
    [InlineData(0, -20, 0)]
    [InlineData(0, 0, 25)]
    [InlineData(0, 0, -25)]
    [InlineData(30, 0, 25)]
    [InlineData(0, 15, -30)]
    public void Each_angle_comes_back_with_its_sign(float yaw, float pitch, float roll)
    {
        var pose = HeadPose.Estimate(Project(yaw, pitch, roll));

        Assert.InRange(pose.Yaw, yaw - 1, yaw + 1);
        Assert.InRange(pose.Pitch, pitch - 1, pitch + 1);
        Assert.InRange(pose.Roll, roll - 1, roll + 1);
    }

    [Fact]
    public void Yaw_and_pitch_together_come_back_within_a_few_degrees()
    {
        var pose = HeadPose.Estimate(Project(25, 15, 10));

        // Pitching brings the nose tip forward, which the yaw formula reads as a little more turn (30.4° here).
        Assert.InRange(pose.Yaw, 20, 31);
        Assert.InRange(pose.Pitch, 10, 20);
        Assert.InRange(pose.Roll, 9, 11);
    }

    [Fact]
    public void A_mirrored_face_turns_the_other_way()
    {
        var landmarks = Project(20, 10, 15);
        // Mirroring swaps sides: the photo's left eye becomes the subject's right eye.
        var mirrored = new FaceLandmarks(Mirror(landmarks.LeftEye), Mirror(landmarks.RightEye), Mirror(landmarks.Nose),
            Mirror(landmarks.MouthLeft), Mirror(landmarks.MouthRight));

        var pose = HeadPose.Estimate(landmarks);
        var other = HeadPose.Estimate(mirrored);

        Assert.Equal(-pose.Yaw, other.Yaw, 2);
        Assert.Equal(pose.Pitch, other.Pitch, 2);
        Assert.Equal(-pose.Roll, other.Roll, 2);

        static PointF Mirror(PointF p) => new(1000 - p.X, p.Y);
    }

    [Theory]
    [InlineData(0.5f)]
    [InlineData(7)]
    [InlineData(23.4f)]
    [InlineData(38)]
    [InlineData(55)]
    [InlineData(71)]
    [InlineData(96)]
    public void An_age_range_holds_the_estimate_in_whole_years_from_zero(float age)
    {
        var range = AgeRange.For(age);

        Assert.InRange(range.Low, 0, (int)MathF.Floor(age));
        Assert.InRange(range.High, (int)MathF.Ceiling(age), 200);
        Assert.True(range.High > range.Low, $"{age}: {range}");
    }

    [Theory]
    [InlineData(2f, 0, 5)]
    [InlineData(10f, 7, 14)]
    [InlineData(30f, 21, 42)]
    [InlineData(45f, 32, 63)]
    [InlineData(70f, 50, 98)]
    public void An_age_range_spreads_relative_to_the_estimate_with_a_floor_for_the_young(float age, int low, int high)
    {
        Assert.Equal(new AgeRange(low, high), AgeRange.For(age));
    }

    [Fact]
    public void A_non_finite_age_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => AgeRange.For(float.NaN));
    }

    /// <summary>The head turned by yaw, then pitch, then rolled in the photo's plane; orthographic, 80 px per eye distance.</summary>
    private static FaceLandmarks Project(float yawDegrees, float pitchDegrees, float rollDegrees)
    {
        var (yaw, pitch, roll) = (Radians(yawDegrees), Radians(pitchDegrees), Radians(rollDegrees));
        var points = Head.Select(p =>
        {
            // Pitch about the x axis: looking up lifts the points in front of the eyes (smaller y).
            var (y1, z1) = ((p.Y * MathF.Cos(pitch)) - (p.Z * MathF.Sin(pitch)), (p.Y * MathF.Sin(pitch)) + (p.Z * MathF.Cos(pitch)));
            // Yaw about the y axis: turning to the subject's left moves the nose towards +x.
            var x2 = (p.X * MathF.Cos(yaw)) + (z1 * MathF.Sin(yaw));
            // Roll in the photo's plane, clockwise on screen for a positive angle (y points down).
            var (x3, y3) = ((x2 * MathF.Cos(roll)) - (y1 * MathF.Sin(roll)), (x2 * MathF.Sin(roll)) + (y1 * MathF.Cos(roll)));
            return new PointF(400 + (80 * x3), 300 + (80 * y3));
        }).ToArray();
        return new FaceLandmarks(points[0], points[1], points[2], points[3], points[4]);
    }

    private static float Radians(float degrees) => degrees * MathF.PI / 180;
}
