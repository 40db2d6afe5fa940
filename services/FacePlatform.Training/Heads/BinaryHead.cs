namespace FacePlatform.Training.Heads;

/// <summary>A binary head (gender, young): one logit, binary cross-entropy, served as a sigmoid; metric accuracy.</summary>
internal sealed class BinaryHead(HeadKind kind, Func<FaceSample, bool?> label, Func<FaceSample, float?> pretrained) : Head
{
    public override HeadKind Kind => kind;

    public override int OutputWidth => 1;

    public override string MetricName => "accuracy";

    public override bool HigherIsBetter => true;

    public override bool HasLabel(FaceSample sample) => label(sample) is not null;

    public override double Loss(ReadOnlySpan<float> logits, IReadOnlyList<FaceSample> batch, Span<float> gradient)
    {
        double total = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            var z = (double)logits[i];
            var t = label(batch[i])!.Value ? 1.0 : 0.0;
            // log(1 + e^z) − t·z, written so that neither term overflows.
            total += Math.Max(z, 0) - (z * t) + Math.Log(1 + Math.Exp(-Math.Abs(z)));
            gradient[i] = (float)((Sigmoid(z) - t) / batch.Count);
        }

        return total / batch.Count;
    }

    public override void Activate(ReadOnlySpan<float> logits, int rows, Span<float> outputs)
    {
        for (var i = 0; i < rows; i++)
        {
            outputs[i] = (float)Sigmoid(logits[i]);
        }
    }

    public override double Metric(ReadOnlySpan<float> outputs, IReadOnlyList<FaceSample> samples)
    {
        var right = 0;
        for (var i = 0; i < samples.Count; i++)
        {
            right += outputs[i] > 0.5f == label(samples[i])!.Value ? 1 : 0;
        }

        return samples.Count == 0 ? double.NaN : right / (double)samples.Count;
    }

    public override double? Baseline(IReadOnlyList<FaceSample> samples)
    {
        var answered = samples.Where(s => pretrained(s) is not null).ToList();
        if (answered.Count == 0 || answered.Count != samples.Count)
        {
            return null;
        }

        return answered.Count(s => pretrained(s) > 0.5f == label(s)!.Value) / (double)answered.Count;
    }

    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));
}
