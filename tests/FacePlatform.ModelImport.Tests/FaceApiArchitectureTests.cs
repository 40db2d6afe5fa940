using FacePlatform.ModelImport.Catalogue;
using FacePlatform.ModelImport.Conversion;
using FacePlatform.ModelImport.TensorFlowJs;

namespace FacePlatform.ModelImport.Tests;

/// <summary>
/// The weights-only architectures refuse weights that do not match their layers (so a misspelt layer name cannot pass
/// unnoticed), and a complete set converts with the shapes the manifest promises. Synthetic weights with the tiny face
/// detector's names and shapes; the real weights are checked against face-api itself by <see cref="ModelParityTests"/>.
/// </summary>
public sealed class FaceApiArchitectureTests
{
    private static readonly CatalogueEntry TinyDetector = ModelCatalogue.Get("faceapi-tiny-detector");

    [Fact]
    public void A_complete_weight_set_converts_to_the_grid_output()
    {
        var graph = TinyDetector.Architecture!.Build(TinyDetectorWeights(), "test");
        var result = TfjsToOnnxConverter.Convert(graph, new ConversionOptions("input", [new OutputBinding("grid", "grid")]));

        Assert.Equal([-1L, 416, 416, 3], result.Input.Shape);
        Assert.Equal([-1L, 13, 13, 25], Assert.Single(result.Outputs).Shape);
    }

    [Fact]
    public void A_weight_no_layer_reads_fails_the_build_and_is_named()
    {
        var weights = TinyDetectorWeights();
        weights["conv9/bias"] = new TfTensor([25], new float[25]);

        var error = Assert.Throws<InvalidDataException>(() => TinyDetector.Architecture!.Build(weights, "test"));
        Assert.Contains("'conv9/bias'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_weight_fails_the_build_and_is_named()
    {
        var weights = TinyDetectorWeights();
        weights.Remove("conv3/pointwise_filter");

        var error = Assert.Throws<InvalidDataException>(() => TinyDetector.Architecture!.Build(weights, "test"));
        Assert.Contains("'conv3/pointwise_filter'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_face_api_model_names_its_package_weights_and_origin()
    {
        var faceApi = ModelCatalogue.Models.Where(m => m.Architecture is not null).ToList();
        Assert.Equal(7, faceApi.Count);
        foreach (var model in faceApi)
        {
            Assert.Equal(ModelCatalogue.FaceApiPackage, model.Package);
            Assert.StartsWith("package/model/", model.GraphPath, StringComparison.Ordinal);
            Assert.EndsWith("-weights_manifest.json", model.GraphPath, StringComparison.Ordinal);
            Assert.Contains("face-api", model.Architecture!.Origin, StringComparison.Ordinal);
        }
    }

    /// <summary>Zero weights with the names and shapes of tiny_face_detector_model-weights_manifest.json.</summary>
    private static Dictionary<string, TfTensor> TinyDetectorWeights()
    {
        var weights = new Dictionary<string, TfTensor>(StringComparer.Ordinal);
        void Add(string name, params long[] shape) => weights[name] = new TfTensor(shape, new float[shape.Aggregate(1L, (a, b) => a * b)]);

        Add("conv0/filters", 3, 3, 3, 16);
        Add("conv0/bias", 16);
        long[] widths = [16, 32, 64, 128, 256, 512];
        for (var i = 1; i <= 5; i++)
        {
            Add($"conv{i}/depthwise_filter", 3, 3, widths[i - 1], 1);
            Add($"conv{i}/pointwise_filter", 1, 1, widths[i - 1], widths[i]);
            Add($"conv{i}/bias", widths[i]);
        }

        Add("conv8/filters", 1, 1, 512, 25);
        Add("conv8/bias", 25);
        return weights;
    }
}
