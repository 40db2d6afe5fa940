using System.Numerics;
using System.Text.Json;

namespace FacePlatform.Bench.Search;

/// <summary>
/// Face-like unit vectors: identities of a few faces each, a centre plus noise, same-identity cosine ≈ 0.6–0.8.
/// "synthetic": Gaussian centres, so identities are nearly orthogonal (a worst case for HNSW graphs).
/// "faceres": centres drawn around real FaceRes descriptors (non-negative; every pair has a high cosine), the
/// geometry of the model the platform serves.
/// </summary>
internal sealed class FaceData
{
    private readonly Random _random;
    private readonly float[]? _mean;
    private readonly float[]? _spread;

    public FaceData(BenchOptions options)
    {
        _random = new Random(options.Seed);
        Dimension = options.Dimension;
        if (options.Data == "faceres")
        {
            (_mean, _spread) = LoadReference(options.FaceResReference, options.Dimension);
        }
    }

    public int Dimension { get; }

    /// <summary>Noise added to a centre for each face: cosine(face, face') ≈ 1 / (1 + noise²) ≈ 0.7.</summary>
    public float Noise { get; init; } = 0.65f;

    /// <summary>Spread of "faceres" centres in units of the real descriptors' per-component deviation.</summary>
    public float FaceResCentreSpread { get; init; } = 1.5f;

    /// <summary>Per-face noise of "faceres" faces in the same units.</summary>
    public float FaceResNoise { get; init; } = 0.8f;

    public float[] NewCentre()
    {
        if (_mean is null)
        {
            return Normalise(Gaussian(Dimension));
        }

        // Around the mean real descriptor with the real per-component spread, kept non-negative like FaceRes (ReLU).
        var g = Gaussian(Dimension, scaled: false);
        var centre = new float[Dimension];
        for (var i = 0; i < Dimension; i++)
        {
            centre[i] = Math.Max(0, _mean[i] + (FaceResCentreSpread * _spread![i] * g[i]));
        }

        return Normalise(centre);
    }

    public float[] FaceOf(float[] centre)
    {
        var face = new float[Dimension];
        if (_mean is null)
        {
            var n = Gaussian(Dimension);
            for (var i = 0; i < Dimension; i++)
            {
                face[i] = centre[i] + (Noise * n[i]);
            }
        }
        else
        {
            // Non-negative noise model: jitter each component relative to the real spread, then clip at zero.
            var g = Gaussian(Dimension, scaled: false);
            for (var i = 0; i < Dimension; i++)
            {
                face[i] = Math.Max(0, centre[i] + (FaceResNoise * _spread![i] * g[i]));
            }
        }

        return Normalise(face);
    }

    public static float Dot(float[] a, float[] b)
    {
        var sum = Vector<float>.Zero;
        var i = 0;
        for (; i <= a.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            sum += new Vector<float>(a, i) * new Vector<float>(b, i);
        }

        var total = Vector.Sum(sum);
        for (; i < a.Length; i++)
        {
            total += a[i] * b[i];
        }

        return total;
    }

    public static float[] ToHalfPrecision(float[] values) => values.Select(v => (float)(Half)v).ToArray();

    private float[] Gaussian(int dimension, bool scaled = true)
    {
        var values = new float[dimension];
        var scale = scaled ? 1 / MathF.Sqrt(dimension) : 1f;
        for (var i = 0; i < dimension; i++)
        {
            values[i] = scale * (float)(Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble()));
        }

        return values;
    }

    private static float Norm(float[] values) => MathF.Sqrt(Dot(values, values));

    private static float[] Normalise(float[] values)
    {
        var norm = Norm(values);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] /= norm;
        }

        return values;
    }

    private static (float[] Mean, float[] Spread) LoadReference(string path, int dimension)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var descriptors = new List<float[]>();
        foreach (var image in document.RootElement.GetProperty("images").EnumerateArray())
        {
            foreach (var face in image.GetProperty("faces").EnumerateArray())
            {
                var values = face.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).Take(dimension).ToArray();
                descriptors.Add(Normalise(values));
            }
        }

        var mean = new float[dimension];
        var spread = new float[dimension];
        foreach (var d in descriptors)
        {
            for (var i = 0; i < dimension; i++)
            {
                mean[i] += d[i] / descriptors.Count;
            }
        }

        foreach (var d in descriptors)
        {
            for (var i = 0; i < dimension; i++)
            {
                spread[i] += (d[i] - mean[i]) * (d[i] - mean[i]) / descriptors.Count;
            }
        }

        for (var i = 0; i < dimension; i++)
        {
            spread[i] = MathF.Sqrt(spread[i]);
        }

        return (mean, spread);
    }
}
