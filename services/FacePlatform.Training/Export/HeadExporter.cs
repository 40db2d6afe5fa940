using FacePlatform.ModelImport.Conversion;
using FacePlatform.Training.Heads;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace FacePlatform.Training.Export;

/// <summary>
/// Writes trained heads as one ONNX model (opset <see cref="TfjsToOnnxConverter.Opset"/>, the importer's graph builder):
/// input <c>features</c> [batch, D] (the backbone's L2-normalised embedding), one output per head — <c>gender</c> and
/// <c>young</c> [batch, 1] sigmoid probabilities, <c>age</c> [batch, bins] softmax over one-year bins, <c>projection</c>
/// [batch, P] L2-normalised — and checks the model in ONNX Runtime against the trainer's own outputs.
/// </summary>
public static class HeadExporter
{
    /// <summary>Name of the model's input.</summary>
    public const string InputName = "features";

    /// <summary>Largest difference allowed between ONNX Runtime and the trainer on any output value.</summary>
    public const float ParityTolerance = 1e-5f;

    /// <summary>The ONNX model of <paramref name="heads"/>.</summary>
    public static ModelProto Build(IReadOnlyList<TrainedHead> heads, string docString, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(heads);
        ArgumentNullException.ThrowIfNull(metadata);
        if (heads.Count == 0)
        {
            throw new ArgumentException("No heads to export.", nameof(heads));
        }

        var width = heads[0].Network.Inputs;
        var builder = new OnnxGraphBuilder();
        builder.Unique(InputName);
        builder.Graph.Input.Add(OnnxGraphBuilder.ValueInfo(InputName, TensorProto.Types.DataType.Float, [-1, width]));
        // Output names are reserved first, so no intermediate tensor can take one.
        foreach (var head in heads)
        {
            builder.Unique(head.Head.OutputName);
        }

        foreach (var trained in heads)
        {
            var network = trained.Network;
            var name = trained.Head.OutputName;
            var last = InputName;
            var transB = OnnxGraphBuilder.Int("transB", 1);
            if (network.Hidden > 0)
            {
                var w1 = builder.Floats(name + "_w1", [network.Hidden, network.Inputs], network.W1);
                var b1 = builder.Floats(name + "_b1", [network.Hidden], network.B1);
                var hidden = builder.Node("Gemm", name + "_hidden", [last, w1, b1], transB);
                last = builder.Node("Relu", name + "_relu", [hidden]);
            }

            var lastWidth = network.Hidden > 0 ? network.Hidden : network.Inputs;
            var w2 = builder.Floats(name + "_w2", [network.Outputs, lastWidth], network.W2);
            var b2 = builder.Floats(name + "_b2", [network.Outputs], network.B2);
            var logits = builder.Node("Gemm", name + "_logits", [last, w2, b2], transB);
            NodeProto node;
            switch (trained.Head.Kind)
            {
                case HeadKind.Gender or HeadKind.Young:
                    node = new NodeProto { OpType = "Sigmoid", Input = { logits } };
                    break;
                case HeadKind.Age:
                    node = new NodeProto { OpType = "Softmax", Input = { logits }, Attribute = { OnnxGraphBuilder.Int("axis", -1) } };
                    break;
                case HeadKind.Projection:
                    // y / √(Σy² + ε), as the trainer normalises (LpNormalization has no ε).
                    var squares = builder.Node("ReduceSumSquare", name + "_squares", [logits, builder.LongVector(name + "_axes", -1)], OnnxGraphBuilder.Int("keepdims", 1));
                    var padded = builder.Node("Add", name + "_padded", [squares, builder.Scalar(name + "_epsilon", ProjectionHead.NormEpsilon)]);
                    var norm = builder.Node("Sqrt", name + "_norm", [padded]);
                    node = new NodeProto { OpType = "Div", Input = { logits, norm } };
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(heads), trained.Head.Kind, null);
            }

            node.Name = name;
            node.Output.Add(name);
            builder.Graph.Node.Add(node);
            builder.Graph.Output.Add(OnnxGraphBuilder.ValueInfo(name, TensorProto.Types.DataType.Float, [-1, network.Outputs]));
        }

        builder.Graph.Name = "trained_heads";
        var model = new ModelProto
        {
            IrVersion = TfjsToOnnxConverter.IrVersion,
            ProducerName = "facectl train",
            ProducerVersion = typeof(HeadExporter).Assembly.GetName().Version?.ToString() ?? "1.0.0",
            DocString = docString,
            Graph = builder.Graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = TfjsToOnnxConverter.Opset });
        foreach (var (key, value) in metadata)
        {
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }

        return model;
    }

    /// <summary>
    /// Runs <paramref name="model"/> in ONNX Runtime (CPU) on <paramref name="rows"/> feature rows and returns, per head
    /// output, the largest absolute difference from the trainer's outputs.
    /// </summary>
    public static IReadOnlyDictionary<string, float> Compare(byte[] model, IReadOnlyList<TrainedHead> heads, float[] features, int rows)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(heads);
        ArgumentNullException.ThrowIfNull(features);
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = 1 };
        using var session = new InferenceSession(model, options);
        var width = features.Length / Math.Max(rows, 1);
        using var input = OrtValue.CreateTensorValueFromMemory(features, [rows, width]);
        var names = heads.Select(h => h.Head.OutputName).ToArray();
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [InputName], [input], names);
        var differences = new Dictionary<string, float>(StringComparer.Ordinal);
        for (var h = 0; h < heads.Count; h++)
        {
            var expected = heads[h].Predict(features, rows);
            var actual = outputs[h].GetTensorDataAsSpan<float>();
            var max = 0f;
            for (var i = 0; i < expected.Length; i++)
            {
                max = Math.Max(max, Math.Abs(expected[i] - actual[i]));
            }

            differences[names[h]] = max;
        }

        return differences;
    }

    /// <summary>The model's bytes.</summary>
    public static byte[] ToBytes(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.ToByteArray();
    }
}
