using System.Numerics.Tensors;
using FacePlatform.Vision.Recognition;

namespace FacePlatform.Training.Heads;

/// <summary>
/// Age as a distribution over one-year bins (as FaceRes answers it): the target puts the age's weight on its two
/// neighbouring bins (so the target's expected value is the age itself), the loss is the cross-entropy of the softmax,
/// and the estimate is the expected value (<see cref="AgeGender.ExpectedAge"/>, as the services read FaceRes); metric:
/// mean absolute error in years.
/// </summary>
internal sealed class AgeBinsHead(int bins) : Head
{
    public override HeadKind Kind => HeadKind.Age;

    public override int OutputWidth => bins;

    public override string MetricName => "mae_years";

    public override bool HigherIsBetter => false;

    public override bool HasLabel(FaceSample sample) => sample.Labels.Age is not null;

    public override double Loss(ReadOnlySpan<float> logits, IReadOnlyList<FaceSample> batch, Span<float> gradient)
    {
        double total = 0;
        var p = new float[bins];
        for (var i = 0; i < batch.Count; i++)
        {
            TensorPrimitives.SoftMax(logits.Slice(i * bins, bins), p);
            var age = Math.Clamp(batch[i].Labels.Age!.Value, 0, bins - 1);
            var low = (int)MathF.Floor(age);
            var high = Math.Min(low + 1, bins - 1);
            var upper = age - low;
            var g = gradient.Slice(i * bins, bins);
            for (var k = 0; k < bins; k++)
            {
                g[k] = p[k] / batch.Count;
            }

            // −Σ t·log p over the (at most two) bins that carry the target; p is clamped away from 0 only for the log.
            total -= (1 - upper) * Math.Log(Math.Max(p[low], 1e-30));
            g[low] -= (1 - upper) / batch.Count;
            if (upper > 0)
            {
                total -= upper * Math.Log(Math.Max(p[high], 1e-30));
                g[high] -= upper / batch.Count;
            }
        }

        return total / batch.Count;
    }

    public override void Activate(ReadOnlySpan<float> logits, int rows, Span<float> outputs)
    {
        for (var i = 0; i < rows; i++)
        {
            TensorPrimitives.SoftMax(logits.Slice(i * bins, bins), outputs.Slice(i * bins, bins));
        }
    }

    public override double Metric(ReadOnlySpan<float> outputs, IReadOnlyList<FaceSample> samples)
    {
        double error = 0;
        for (var i = 0; i < samples.Count; i++)
        {
            error += Math.Abs(AgeGender.ExpectedAge(outputs.Slice(i * bins, bins)) - samples[i].Labels.Age!.Value);
        }

        return samples.Count == 0 ? double.NaN : error / samples.Count;
    }

    public override double? Baseline(IReadOnlyList<FaceSample> samples) =>
        samples.Count > 0 && samples.All(s => s.PretrainedAge is not null)
            ? samples.Average(s => Math.Abs(s.PretrainedAge!.Value - s.Labels.Age!.Value))
            : null;
}
