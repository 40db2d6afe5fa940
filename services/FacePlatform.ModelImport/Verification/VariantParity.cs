using FacePlatform.ModelImport.Conversion;
using Microsoft.ML.OnnxRuntime;

namespace FacePlatform.ModelImport.Verification;

/// <summary>How closely a reduced-precision variant follows its base model on seeded inputs.</summary>
/// <param name="MaxAbsDiff">Largest absolute difference per output name.</param>
/// <param name="MinCosine">Smallest per-sample cosine similarity of the first output.</param>
public sealed record VariantParityResult(IReadOnlyDictionary<string, double> MaxAbsDiff, double MinCosine);

/// <summary>
/// Runs a base model and its variant on the same seeded uniform inputs over the input range (ONNX Runtime CPU, all
/// optimisations) and compares every output. A coarse gate against a broken rewrite; accuracy on faces is measured
/// with <c>facectl eval</c> (docs/accuracy.md).
/// </summary>
public static class VariantParity
{
    /// <summary>Samples compared.</summary>
    public const int Samples = 4;

    /// <summary>Compares <paramref name="variant"/> with <paramref name="baseModel"/>.</summary>
    public static VariantParityResult Measure(byte[] baseModel, byte[] variant, TensorSignature input, IReadOnlyList<string> outputs, double low, double high)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(outputs);
        var shape = input.Shape.Select(d => d < 0 ? Samples : d).ToArray();
        var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
        var random = new Random(20261203);
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (float)(low + ((high - low) * random.NextDouble()));
        }

        var reference = Run(baseModel, input.Name, data, shape, outputs);
        var actual = Run(variant, input.Name, data, shape, outputs);
        var diffs = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var o = 0; o < outputs.Count; o++)
        {
            var max = 0.0;
            for (var i = 0; i < reference[o].Length; i++)
            {
                max = Math.Max(max, Math.Abs(reference[o][i] - actual[o][i]));
            }

            diffs[outputs[o]] = max;
        }

        var row = reference[0].Length / Samples;
        var minCosine = 1.0;
        for (var s = 0; s < Samples; s++)
        {
            double dot = 0, a = 0, b = 0;
            for (var i = s * row; i < (s + 1) * row; i++)
            {
                dot += reference[0][i] * actual[0][i];
                a += reference[0][i] * reference[0][i];
                b += actual[0][i] * actual[0][i];
            }

            minCosine = Math.Min(minCosine, a == 0 || b == 0 ? (a == b ? 1 : 0) : dot / Math.Sqrt(a * b));
        }

        return new VariantParityResult(diffs, minCosine);
    }

    private static float[][] Run(byte[] model, string inputName, float[] data, long[] shape, IReadOnlyList<string> outputs)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = 1 };
        using var session = new InferenceSession(model, options);
        using var value = OrtValue.CreateTensorValueFromMemory(data, shape);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [inputName], [value], [.. outputs]);
        return [.. results.Select(r => r.GetTensorDataAsSpan<float>().ToArray())];
    }
}
