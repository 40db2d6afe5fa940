using FacePlatform.Vision.Detection;
using FacePlatform.Vision.Inference;
using FacePlatform.Vision.Pipeline;
using Microsoft.Extensions.Logging.Abstractions;

namespace FacePlatform.InferenceTests;

/// <summary>The in-process pipeline (as facectl runs it) with the default settings; one per test run.</summary>
public sealed class PipelineFixture : IAsyncLifetime
{

    public InferenceTelemetry Telemetry { get; } = new();

    public ModelCatalog Catalog { get; private set; } = null!;

    public FaceAnalyzer Analyzer { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Catalog = ModelCatalog.Open(Paths.Models, new InferenceOptions(), Telemetry, NullLoggerFactory.Instance);
        Analyzer = PipelineFactory.CreateAnalyzer(Catalog, new DetectionOptions(), new RecognitionOptions(), telemetry: Telemetry);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (Catalog is not null)
        {
            await Catalog.DisposeAsync();
        }

        Telemetry.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class PipelineCollection : ICollectionFixture<PipelineFixture>
{
    public const string Name = "in-process pipeline";
}
