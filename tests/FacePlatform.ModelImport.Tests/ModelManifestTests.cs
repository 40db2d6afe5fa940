using FacePlatform.ModelImport.Catalogue;
using FacePlatform.ModelImport.Manifest;

namespace FacePlatform.ModelImport.Tests;

/// <summary>The manifest reader the services use, and the facts the shell script repeats.</summary>
public sealed class ModelManifestTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "fp-manifest-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public void Operator_registered_model_loads_and_its_hash_is_checked()
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllBytes(Path.Combine(_directory, "arcface.onnx"), [1, 2, 3]);
        var entry = new ModelEntry(
            "arcface-r100",
            "face-embedding",
            "An operator's own ArcFace recogniser",
            "arcface.onnx",
            ModelManifest.Sha256Of(Path.Combine(_directory, "arcface.onnx")),
            new ModelSource("proprietary"),
            new ModelInput("data", [-1, 112, 112, 3], "NHWC", "RGB", [-1, 1], "(pixel - 127.5) / 127.5", 1 / 127.5, -1),
            [new ModelOutput("embedding", [-1, 512], "512-d embedding")]);
        ModelManifest.Write(_directory, new ModelManifestDocument(ModelManifest.CurrentSchemaVersion, [entry]));

        var manifest = ModelManifest.Load(_directory);
        Assert.Equal(entry, manifest["arcface-r100"] with { Input = entry.Input, Outputs = entry.Outputs });
        Assert.Equal([-1L, 112, 112, 3], manifest["arcface-r100"].Input.Shape);

        File.WriteAllBytes(Path.Combine(_directory, "arcface.onnx"), [1, 2, 4]);
        var error = Assert.Throws<InvalidDataException>(() => ModelManifest.Load(_directory));
        Assert.Contains("arcface-r100", error.Message, StringComparison.Ordinal);

        File.Delete(Path.Combine(_directory, "arcface.onnx"));
        Assert.Throws<FileNotFoundException>(() => ModelManifest.Load(_directory));
    }

    [Fact]
    public void Missing_manifest_says_how_to_import()
    {
        var error = Assert.Throws<FileNotFoundException>(() => ModelManifest.Load(_directory));
        Assert.Contains("models.sh", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Models_script_pins_the_same_package_as_the_catalogue()
    {
        var script = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "deploy", "local", "models.sh"));
        foreach (var package in ModelCatalogue.Packages)
        {
            // One line per package in the script's PACKAGES list: name, version, integrity.
            Assert.Contains($"\"{package.Name} {package.Version} {package.Integrity}\"", script, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_catalogue_model_has_a_committed_fixture()
    {
        foreach (var model in ModelCatalogue.Models)
        {
            var fixture = ParityFixture.Load(model.Name);
            Assert.Equal(model.Package.Spec, fixture.Package);
            Assert.Equal(model.Outputs.Select(o => o.Source).Order(), fixture.Outputs.Order());
        }
    }
}
