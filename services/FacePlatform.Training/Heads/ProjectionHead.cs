using System.Numerics.Tensors;

namespace FacePlatform.Training.Heads;

/// <summary>
/// An embedding projection trained with a triplet loss on cosine similarity: in each batch (P identities × K photos)
/// every anchor takes its hardest positive (least similar photo of the same identity) and hardest negative (most
/// similar photo of another), loss <c>max(0, margin − cos(a, p) + cos(a, n))</c>. Served L2-normalised; metric: rank-1
/// identification on the validation split (each photo's nearest other photo is of the same identity).
/// </summary>
internal sealed class ProjectionHead(int width, float margin, int samplesPerSubject) : Head
{
    /// <summary>
    /// Added to ‖y‖² before the square root of the normalisation: an output row of zeros (every ReLU off) would
    /// otherwise have no direction and an unbounded gradient. The ONNX graph adds the same.
    /// </summary>
    public const float NormEpsilon = 1e-6f;

    public override HeadKind Kind => HeadKind.Projection;

    public override int OutputWidth => width;

    public override string MetricName => "rank1";

    public override bool HigherIsBetter => true;

    public override bool HasLabel(FaceSample sample) => sample.Labels.Subject is not null;

    public override IReadOnlyList<int[]> Batches(IReadOnlyList<FaceSample> samples, int batchSize, DeterministicRandom random)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(random);
        // Groups of K photos of one identity (a lone last photo joins the group before it), shuffled, packed into batches.
        var groups = new List<List<int>>();
        foreach (var subject in Enumerable.Range(0, samples.Count).GroupBy(i => samples[i].Labels.Subject, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var members = subject.ToList();
            if (members.Count < 2)
            {
                continue;
            }

            random.Shuffle(members);
            var chunks = members.Chunk(Math.Max(2, samplesPerSubject)).Select(c => c.ToList()).ToList();
            if (chunks.Count > 1 && chunks[^1].Count == 1)
            {
                chunks[^2].AddRange(chunks[^1]);
                chunks.RemoveAt(chunks.Count - 1);
            }

            groups.AddRange(chunks);
        }

        random.Shuffle(groups);
        var batches = new List<int[]>();
        var current = new List<int>();
        foreach (var group in groups)
        {
            current.AddRange(group);
            if (current.Count >= batchSize)
            {
                batches.Add([.. current]);
                current.Clear();
            }
        }

        if (current.Count > 0)
        {
            batches.Add([.. current]);
        }

        return batches;
    }

    public override double Loss(ReadOnlySpan<float> logits, IReadOnlyList<FaceSample> batch, Span<float> gradient)
    {
        var n = batch.Count;
        var z = new float[n * width];
        var norms = new float[n];
        for (var i = 0; i < n; i++)
        {
            norms[i] = Norm(logits.Slice(i * width, width));
            TensorPrimitives.Divide(logits.Slice(i * width, width), norms[i], z.AsSpan(i * width, width));
        }

        var dz = new float[n * width];
        double total = 0;
        var anchors = 0;
        for (var a = 0; a < n; a++)
        {
            int positive = -1, negative = -1;
            float positiveCos = float.MaxValue, negativeCos = float.MinValue;
            var za = z.AsSpan(a * width, width);
            for (var j = 0; j < n; j++)
            {
                if (j == a)
                {
                    continue;
                }

                var cos = TensorPrimitives.Dot(za, z.AsSpan(j * width, width));
                if (string.Equals(batch[j].Labels.Subject, batch[a].Labels.Subject, StringComparison.Ordinal))
                {
                    if (cos < positiveCos)
                    {
                        (positive, positiveCos) = (j, cos);
                    }
                }
                else if (cos > negativeCos)
                {
                    (negative, negativeCos) = (j, cos);
                }
            }

            if (positive < 0 || negative < 0)
            {
                continue;
            }

            anchors++;
            var loss = margin - positiveCos + negativeCos;
            if (loss <= 0)
            {
                continue;
            }

            total += loss;
            var zp = z.AsSpan(positive * width, width);
            var zn = z.AsSpan(negative * width, width);
            var dza = dz.AsSpan(a * width, width);
            TensorPrimitives.Subtract(dza, zp, dza);
            TensorPrimitives.Add(dza, zn, dza);
            var dzp = dz.AsSpan(positive * width, width);
            TensorPrimitives.Subtract(dzp, za, dzp);
            var dzn = dz.AsSpan(negative * width, width);
            TensorPrimitives.Add(dzn, za, dzn);
        }

        // Through the normalisation z = y/n, n = √(‖y‖² + ε): ∂L/∂y = (g − y·(y·g)/n²) / n = (g − z·(z·g)) / n, and the mean over anchors.
        var scale = anchors > 0 ? 1f / anchors : 0f;
        for (var i = 0; i < n; i++)
        {
            var zi = z.AsSpan(i * width, width);
            var gi = dz.AsSpan(i * width, width);
            var along = TensorPrimitives.Dot(zi, gi);
            var target = gradient.Slice(i * width, width);
            TensorPrimitives.MultiplyAdd(zi, -along, gi, target);
            TensorPrimitives.Multiply(target, scale / norms[i], target);
        }

        return anchors > 0 ? total / anchors : 0;
    }

    public override void Activate(ReadOnlySpan<float> logits, int rows, Span<float> outputs)
    {
        for (var i = 0; i < rows; i++)
        {
            var row = logits.Slice(i * width, width);
            TensorPrimitives.Divide(row, Norm(row), outputs.Slice(i * width, width));
        }
    }

    private static float Norm(ReadOnlySpan<float> row) => MathF.Sqrt(TensorPrimitives.SumOfSquares(row) + NormEpsilon);

    public override double Metric(ReadOnlySpan<float> outputs, IReadOnlyList<FaceSample> samples) => RankOne(outputs, width, samples);

    public override double? Baseline(IReadOnlyList<FaceSample> samples)
    {
        if (samples.Count == 0)
        {
            return null;
        }

        var features = samples[0].Features.Length;
        var all = new float[samples.Count * features];
        for (var i = 0; i < samples.Count; i++)
        {
            samples[i].Features.CopyTo(all, i * features);
        }

        var value = RankOne(all, features, samples);
        return double.IsNaN(value) ? null : value;
    }

    /// <summary>Share of photos (with another photo of their identity present) whose most similar other photo is of the same identity.</summary>
    private static double RankOne(ReadOnlySpan<float> vectors, int width, IReadOnlyList<FaceSample> samples)
    {
        int queries = 0, right = 0;
        for (var i = 0; i < samples.Count; i++)
        {
            var subject = samples[i].Labels.Subject;
            var hasPositive = false;
            var best = -1;
            var bestCos = float.MinValue;
            for (var j = 0; j < samples.Count; j++)
            {
                if (j == i)
                {
                    continue;
                }

                hasPositive |= string.Equals(samples[j].Labels.Subject, subject, StringComparison.Ordinal);
                var cos = TensorPrimitives.CosineSimilarity(vectors.Slice(i * width, width), vectors.Slice(j * width, width));
                if (cos > bestCos)
                {
                    (best, bestCos) = (j, cos);
                }
            }

            if (!hasPositive)
            {
                continue;
            }

            queries++;
            // No nearest photo at all (every similarity NaN) counts as a miss.
            right += best >= 0 && string.Equals(samples[best].Labels.Subject, subject, StringComparison.Ordinal) ? 1 : 0;
        }

        return queries == 0 ? double.NaN : right / (double)queries;
    }
}
