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
