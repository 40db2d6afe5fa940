using FacePlatform.ModelImport.Catalogue;
using FacePlatform.ModelImport.Conversion;
using FacePlatform.ModelImport.Manifest;
using FacePlatform.ModelImport.Verification;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace FacePlatform.ModelImport.Tests;

/// <summary>
/// The importer's reduced-precision variants of FaceRes, made from the imported float model (FACEPLATFORM_MODELS_DIR):
/// the int8 one runs its convolutions as QLinearConv in ONNX Runtime and both stay close to the float model.
/// </summary>
public sealed class ModelVariantTests
{
    private static (byte[] Bytes, ModelEntry Entry) FaceRes()
    {
        var manifest = ModelManifest.Load(TestPaths.ModelsDirectory);
        var entry = manifest["faceres"];
        return (File.ReadAllBytes(manifest.PathOf(entry)), entry);
    }

    private static VariantParityResult Parity(byte[] baseBytes, ModelProto variant, ModelEntry entry) =>
        VariantParity.Measure(
            baseBytes,
            variant.ToByteArray(),
            new TensorSignature(entry.Input.Name, entry.Input.Shape),
            [.. entry.Outputs.Select(o => o.Name)],
            entry.Input.Range[0],
            entry.Input.Range[1]);

    [Fact]
    public void Int8_faceres_runs_26_convolutions_as_qlinearconv_and_keeps_the_embedding_direction()
    {
        var (bytes, entry) = FaceRes();

        var (model, quantised) = ModelVariants.Int8Static(ModelProto.Parser.ParseFrom(bytes));

        Assert.Equal(26, quantised);
        Assert.DoesNotContain(model.Graph.Node, n => n.OpType == "Mul"); // every batch-norm multiply folded into its convolution
        var optimised = Path.Combine(Path.GetTempPath(), $"faceres-int8-{Guid.NewGuid():N}.onnx");
        try
        {
            using (var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED, OptimizedModelFilePath = optimised })
            using (new InferenceSession(model.ToByteArray(), options))
            {
            }

            var ops = ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimised)).Graph.Node.Select(n => n.OpType).ToList();
            Assert.Equal(26, ops.Count(op => op == "QLinearConv"));
        }
        finally
        {
            File.Delete(optimised);
        }

        var parity = Parity(bytes, model, entry);
        Assert.InRange(parity.MinCosine, 0.98, 1.0);
        Assert.InRange(parity.MaxAbsDiff["gender"], 0, 0.05);
        Assert.InRange(parity.MaxAbsDiff["age"], 0, 0.01);
    }

    [Fact]
    public void Fp16_faceres_stores_half_weights_and_matches_the_float_model()
    {
        var (bytes, entry) = FaceRes();

        var model = ModelVariants.Float16(ModelProto.Parser.ParseFrom(bytes));

        Assert.DoesNotContain(model.Graph.Initializer, t => t.DataType == (int)TensorProto.Types.DataType.Float);
        Assert.Equal(entry.Input.Name, model.Graph.Input.Single().Name);
        var parity = Parity(bytes, model, entry);
        Assert.InRange(parity.MinCosine, 0.9999, 1.0);
        Assert.InRange(parity.MaxAbsDiff["gender"], 0, 1e-3);
    }

    [Fact]
    public void Calibrated_int8_takes_each_measured_range_below_the_clip_bound_and_keeps_the_clip_bound_above_it()
    {
        var (bytes, entry) = FaceRes();
        var source = ModelProto.Parser.ParseFrom(bytes);
        var signed = ModelVariants.SignedActivations(source.Graph, source.Graph.Initializer.ToDictionary(t => t.Name));
        var activations = ModelVariants.QuantisedActivations(source).Where(a => !signed.Contains(a)).ToList();
        // One activation measured below its Clip(0, 6), one above (clamped to 6), the rest not measured (6).
        var ranges = new Dictionary<string, float> { [activations[0]] = 1.5f, [activations[1]] = 9f };

        var (model, quantised) = ModelVariants.Int8Static(source, ranges);

        Assert.Equal(27, activations.Count); // the Clip outputs
        Assert.Equal(["input_1/nchw"], signed); // the input's transpose: signed, float without a measured lower bound
        Assert.Equal(26, quantised);
        float ScaleOf(string tensor) => BitConverter.ToSingle(
            model.Graph.Initializer.Single(t => t.Name == tensor + "/q_scale").RawData.ToByteArray());
        Assert.Equal(1.5 / 255, ScaleOf(activations[0]), 1e-7);
        Assert.Equal(6.0 / 255, ScaleOf(activations[1]), 1e-7);
        Assert.Equal(6.0 / 255, ScaleOf(activations[2]), 1e-7);
        // The shipped ranges (measured on face crops) name every quantised activation and keep the float model's direction.
        var shipped = ModelCatalogue.ActivationRanges["faceres-int8"];
        Assert.Equal(activations.Order(StringComparer.Ordinal), shipped.Ranges.Keys.Order(StringComparer.Ordinal));
        foreach (var (tensor, bound) in shipped.Ranges)
        {
            Assert.True(bound is > 0 and <= 6, $"{tensor}: {bound}");
        }

        var parity = Parity(bytes, ModelVariants.Int8Static(source, shipped.Ranges).Model, entry);
        Assert.InRange(parity.MinCosine, 0.98, 1.0);
    }

    [Fact]
    public void The_quantised_activations_can_be_read_as_extra_outputs_of_the_float_model()
    {
        var (bytes, entry) = FaceRes();
        var source = ModelProto.Parser.ParseFrom(bytes);
        var signed = ModelVariants.SignedActivations(source.Graph, source.Graph.Initializer.ToDictionary(t => t.Name));
        var activations = ModelVariants.QuantisedActivations(source).Where(a => !signed.Contains(a)).ToList();

        var observed = ModelVariants.WithOutputs(source, activations.Take(2));

        Assert.Equal(source.Graph.Output.Count + 2, observed.Graph.Output.Count);
        using var session = new InferenceSession(observed.ToByteArray());
        var input = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>([1, 224, 224, 3]);
        input.Fill(128f);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(entry.Input.Name, input)]);
        var first = results.Single(r => r.Name == activations[0]).AsEnumerable<float>().ToList();
        Assert.InRange(first.Min(), 0f, 6f);
        Assert.InRange(first.Max(), 0f, 6f);
    }

    [Fact]
    public void Int8_blazeface_stays_float_without_ranges_and_runs_as_qlinearconv_and_qlinearadd_with_the_measured_ones()
    {
        var manifest = ModelManifest.Load(TestPaths.ModelsDirectory);
        var entry = manifest["blazeface-back"];
        var bytes = File.ReadAllBytes(manifest.PathOf(entry));
        var source = ModelProto.Parser.ParseFrom(bytes);
        var shipped = ModelCatalogue.ActivationRanges["blazeface-back-int8"];
        var signed = ModelVariants.SignedActivations(source.Graph, source.Graph.Initializer.ToDictionary(t => t.Name));

        // Unbounded ReLUs: nothing is quantised without measured ranges.
        Assert.Equal(0, ModelVariants.Int8Static(source).QuantisedConvolutions);
        var (model, quantised) = ModelVariants.Int8Static(source, shipped.Ranges, shipped.Lows);

        // 33 ReLU outputs (unsigned), 65 convolution outputs inside residual blocks and the input's transpose (signed).
        Assert.Equal(66, signed.Count);
        Assert.Equal(ModelVariants.QuantisedActivations(source).Order(StringComparer.Ordinal), shipped.Ranges.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(signed.Order(StringComparer.Ordinal), shipped.Lows!.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(71, quantised); // every convolution; the 4 heads write float outputs, so ONNX Runtime runs them as float Conv
        var optimised = Path.Combine(Path.GetTempPath(), $"blazeface-int8-{Guid.NewGuid():N}.onnx");
        try
        {
            using (var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED, OptimizedModelFilePath = optimised })
            using (new InferenceSession(model.ToByteArray(), options))
            {
            }

            var ops = ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimised)).Graph.Node.Select(n => n.OpType).ToList();
            Assert.Equal(67, ops.Count(op => op == "QLinearConv"));
            Assert.Equal(31, ops.Count(op => op == "QLinearAdd"));
        }
        finally
        {
            File.Delete(optimised);
        }
    }

    [Fact]
    public void Every_variant_names_a_catalogue_model_and_a_known_precision()
    {
        foreach (var variant in ModelCatalogue.Variants)
        {
            Assert.Equal(variant.Of, ModelCatalogue.Get(variant.Of).Name);
            Assert.Contains(variant.Precision, new[] { "int8", "fp16" });
            Assert.DoesNotContain(ModelCatalogue.Models, m => m.Name == variant.Name);
        }
    }
}
