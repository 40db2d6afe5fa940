using FacePlatform.Training.Heads;

namespace FacePlatform.Training.Tests;

/// <summary>
/// The compact trainer's back-propagated gradients against central finite differences of the loss. Batch-hard triplet
/// mining and ReLU make the loss piecewise smooth: where a step of 3e-3 crosses a kink (another hardest negative, a
/// unit turning on), the difference is taken again with 1e-4 (looser, for float rounding) and must agree there.
/// </summary>
public sealed class GradientCheckTests
{
    private const double Step = 3e-3;
    private const double SmallStep = 1e-4;

    [Theory]
    [InlineData(HeadKind.Gender, 5)]
    [InlineData(HeadKind.Young, 5)]
    [InlineData(HeadKind.Age, 5)]
    [InlineData(HeadKind.Projection, 5)]
    [InlineData(HeadKind.Gender, 0)]
    [InlineData(HeadKind.Age, 0)]
    [InlineData(HeadKind.Projection, 0)]
    public void BackpropagatedGradientsMatchFiniteDifferences(HeadKind kind, int hidden)
    {
        var random = new DeterministicRandom(7);
        var head = Head.Create(kind, new HeadSettings { AgeBins = 10, ProjectionWidth = 4, TripletMargin = 0.5f });
        var batch = Synthetic.Samples(random, count: 9, width: 6);
        var x = Synthetic.Stack(batch);
        var network = new Mlp(6, hidden, head.OutputWidth, 6, random);
        // A generic point: the initial zero biases can leave a projection row at exactly zero (every ReLU off), the
        // normalisation's singular point, where no finite difference is meaningful.
        foreach (var parameter in network.Parameters)
        {
            random.FillNormal(parameter, 0.5);
        }

        var pass = network.Forward(x, batch.Count);
        var outputGradient = new float[pass.Output.Length];
        var loss = head.Loss(pass.Output, batch, outputGradient);
        Assert.True(loss > 0, $"{kind}: the check needs a positive loss, got {loss}");
        var gradients = network.NewGradients();
        network.Backward(x, pass, outputGradient, gradients);

        double Loss()
        {
            var p = network.Forward(x, batch.Count);
            return head.Loss(p.Output, batch, new float[p.Output.Length]);
        }

        var checkedCount = 0;
        var kinks = 0;
        for (var p = 0; p < network.Parameters.Count; p++)
        {
            var parameter = network.Parameters[p];
            for (var i = 0; i < parameter.Length; i++)
            {
                double Difference(double step)
                {
                    var saved = parameter[i];
                    parameter[i] = (float)(saved + step);
                    var plus = Loss();
                    parameter[i] = (float)(saved - step);
                    var minus = Loss();
                    parameter[i] = saved;
                    return (plus - minus) / (2 * step);
                }

                var analytic = gradients[p][i];
                var numeric = Difference(Step);
                if (Math.Abs(analytic - numeric) > 3e-4 + (2e-2 * Math.Abs(numeric)))
                {
                    var fine = Difference(SmallStep);
                    Assert.True(Math.Abs(analytic - fine) <= 2e-3 + (2e-2 * Math.Abs(fine)),
                        $"{kind} hidden={hidden}: parameter array {p} element {i}: back-propagated {analytic:G6}, finite difference {numeric:G6} (step {Step}), {fine:G6} (step {SmallStep})");
                    kinks++;
                }

                checkedCount++;
            }
        }

        Assert.Equal(network.Parameters.Sum(a => a.Length), checkedCount);
        // Kinks are the exception: most parameters must agree at the ordinary step.
        Assert.True(kinks * 10 <= checkedCount, $"{kind} hidden={hidden}: {kinks} of {checkedCount} parameters needed the small step");
        Assert.Contains(gradients.SelectMany(g => g), g => Math.Abs(g) > 1e-3);
    }
}

/// <summary>Synthetic samples with every label, for the pure-logic tests.</summary>
internal static class Synthetic
{
    public static List<FaceSample> Samples(DeterministicRandom random, int count, int width, int subjects = 3)
    {
        var samples = new List<FaceSample>();
        for (var i = 0; i < count; i++)
        {
            var features = new float[width];
            random.FillNormal(features, 1);
            samples.Add(new FaceSample($"s{i}", features, new FaceLabels($"p{i % subjects}", random.Next(10) + 0.3f, random.Next(2) == 0, random.Next(2) == 0), false));
        }

        return samples;
    }

    /// <summary>
    /// Learnable samples: gender and young follow signs of fixed directions, age a linear function, identity a cluster
    /// centre; every fifth sample is validation.
    /// </summary>
    public static List<FaceSample> Learnable(int count, int width, ulong seed)
    {
        var random = new DeterministicRandom(seed);
        var centres = Enumerable.Range(0, 6).Select(_ =>
        {
            var c = new float[width];
            random.FillNormal(c, 1);
            return c;
        }).ToList();
        var samples = new List<FaceSample>();
        for (var i = 0; i < count; i++)
        {
            var subject = i % centres.Count;
            var features = new float[width];
            random.FillNormal(features, 0.5);
            for (var k = 0; k < width; k++)
            {
                features[k] += centres[subject][k];
            }

            var age = Math.Clamp(40 + (15 * features[0]) + (10 * features[1]), 0, 90);
            samples.Add(new FaceSample($"s{i}", features, new FaceLabels($"p{subject}", age, features[2] > 0, features[3] + features[4] > 0), i % 5 == 0));
        }

        return samples;
    }

    public static float[] Stack(IReadOnlyList<FaceSample> samples)
    {
        var width = samples[0].Features.Length;
        var all = new float[samples.Count * width];
        for (var i = 0; i < samples.Count; i++)
        {
            samples[i].Features.CopyTo(all, i * width);
        }

        return all;
    }
}
