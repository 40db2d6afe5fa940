using FacePlatform.ModelImport.Conversion;
using Microsoft.ML.OnnxRuntime;

namespace FacePlatform.ModelImport.Verification;

/// <summary>
/// Loads a converted model in ONNX Runtime (CPU) and runs a batch of two seeded inputs, checking the input and output
/// names, that every output has the expected shape with the batch dimension set to 2, and that all values are finite.
/// Numerical parity with TF.js is proven separately by the parity tests against committed fixtures.
/// </summary>
public static class OnnxModelCheck
{
    /// <summary>Throws <see cref="InvalidDataException"/> when the model does not load or run as described.</summary>
    public static void Verify(byte[] model, TensorSignature input, IReadOnlyList<TensorSignature> outputs, double low, double high)
    {
        const int batch = 2;
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(model, options);
        if (!session.InputMetadata.ContainsKey(input.Name))
        {
            throw new InvalidDataException($"The ONNX model has no input '{input.Name}'.");
        }

        var shape = input.Shape.Select(d => d < 0 ? batch : d).ToArray();
        var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
        var random = new Random(12345);
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (float)(low + ((high - low) * random.NextDouble()));
        }

        using var value = OrtValue.CreateTensorValueFromMemory(data, shape);
        using var runOptions = new RunOptions();
        var names = outputs.Select(o => o.Name).ToArray();
        using var results = session.Run(runOptions, [input.Name], [value], names);
        for (var i = 0; i < names.Length; i++)
        {
            var expected = outputs[i].Shape.Select(d => d < 0 ? batch : d).ToArray();
            var actual = results[i].GetTensorTypeAndShape().Shape;
            if (!actual.SequenceEqual(expected))
            {
                throw new InvalidDataException(
                    $"Output '{names[i]}' has shape [{string.Join(',', actual)}], expected [{string.Join(',', expected)}].");
            }

            foreach (var v in results[i].GetTensorDataAsSpan<float>())
            {
                if (!float.IsFinite(v))
                {
                    throw new InvalidDataException($"Output '{names[i]}' has a non-finite value on a seeded input.");
                }
            }
        }
    }
}
