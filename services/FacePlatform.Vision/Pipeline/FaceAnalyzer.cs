using FacePlatform.Vision.Alignment;
using FacePlatform.Vision.Attributes;
using FacePlatform.Vision.Detection;
using FacePlatform.Vision.Imaging;
using FacePlatform.Vision.Inference;
using FacePlatform.Vision.Recognition;

namespace FacePlatform.Vision.Pipeline;

/// <summary>What to compute for a photo.</summary>
public sealed record AnalysisRequest
{
    /// <summary>Most faces (0 = the detector's default).</summary>
    public int MaxFaces { get; init; }

    /// <summary>Smallest face side in pixels (0 = the detector's default).</summary>
    public int MinFaceSize { get; init; }

    /// <summary>Compute embeddings.</summary>
    public bool Embed { get; init; } = true;

    /// <summary>Attributes to compute.</summary>
    public AttributeKinds Attributes { get; init; } = AttributeKinds.All;

    /// <summary>Keep each face's aligned crop in the result.</summary>
    public bool KeepCrops { get; init; }
}

/// <summary>One face of an analysed photo.</summary>
/// <param name="Detection">Box, score, landmarks.</param>
/// <param name="Quality">Recognition quality.</param>
/// <param name="Embedding">The embedding, when asked for.</param>
/// <param name="Attributes">The attributes, when asked for.</param>
/// <param name="Crop">The aligned crop (RGB, recogniser input size), when asked for.</param>
public sealed record FaceAnalysis(FaceDetection Detection, FaceQuality Quality, FaceEmbedding? Embedding, FaceAttributes? Attributes, byte[]? Crop);

/// <summary>An analysed photo.</summary>
/// <param name="Width">Width after EXIF orientation.</param>
/// <param name="Height">Height after EXIF orientation.</param>
/// <param name="Faces">Faces, largest first.</param>
public sealed record PhotoAnalysis(int Width, int Height, IReadOnlyList<FaceAnalysis> Faces);

/// <summary>
/// The whole pipeline in-process (facectl analyze, the evaluations): decode once, detect, align each face to the
/// recogniser's crop, embed every face of the photo in one batch — which, with FaceRes, also gives age and gender — and
/// run the remaining attribute models on the same crops.
/// </summary>
public sealed class FaceAnalyzer
{
    private readonly InferenceTelemetry? _telemetry;

    /// <summary>Creates the analyzer.</summary>
    public FaceAnalyzer(FaceDetector detector, FaceRecogniser recogniser, AttributePredictor? attributes, ImageLimits? limits = null, InferenceTelemetry? telemetry = null)
    {
        Detector = detector;
        Recogniser = recogniser;
        Attributes = attributes;
        Limits = limits ?? ImageLimits.Default;
        _telemetry = telemetry;
    }

    /// <summary>The detector.</summary>
    public FaceDetector Detector { get; }

    /// <summary>The recogniser.</summary>
    public FaceRecogniser Recogniser { get; }

    /// <summary>The attribute models (null: none).</summary>
    public AttributePredictor? Attributes { get; }

    /// <summary>Decoder limits.</summary>
    public ImageLimits Limits { get; }

    /// <summary>Decodes and analyses an encoded photo.</summary>
    /// <exception cref="ImageRejectedException">The image could not be read.</exception>
    public async Task<PhotoAnalysis> AnalyzeAsync(ReadOnlyMemory<byte> encoded, AnalysisRequest request, CancellationToken cancellationToken = default)
    {
        using var image = ImageDecoder.Decode(encoded.Span, Limits);
        return await AnalyzeAsync(image, request, cancellationToken);
    }

    /// <summary>Analyses a decoded photo.</summary>
    public async Task<PhotoAnalysis> AnalyzeAsync(RgbImage image, AnalysisRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(request);
        var faces = await Detector.DetectAsync(image, request.MaxFaces, request.MinFaceSize, cancellationToken);
        _telemetry?.FacesPerPhoto.Record(faces.Count);
        var crops = faces.Select(f => Recogniser.Align(image, f)).ToList();
        try
        {
            var needAgeGender = (request.Attributes & (AttributeKinds.Age | AttributeKinds.Gender)) != 0;
            IReadOnlyList<Recognition.Recognition>? recognitions = null;
            if (request.Embed || (needAgeGender && Recogniser.IsMultiTask))
            {
                recognitions = await Recogniser.EmbedAsync(crops, cancellationToken);
            }

            IReadOnlyList<FaceAttributes>? attributes = null;
            if (request.Attributes != AttributeKinds.None && Attributes is not null && crops.Count > 0)
            {
                var framed = crops.Select(c => new FramedCrop(c, Recogniser.Template)).ToList();
                attributes = await Attributes.PredictAsync(framed, request.Attributes, recognitions?.Select(r => r.AgeGender).ToList(), cancellationToken);
                if (recognitions is not null && Recogniser.IsMultiTask && needAgeGender)
                {
                    attributes = [.. attributes.Select(a => a with { ModelIds = [.. Recogniser.AgeGenderModelIds, .. a.ModelIds] })];
                }
            }

            var results = new List<FaceAnalysis>(faces.Count);
            for (var i = 0; i < faces.Count; i++)
            {
                results.Add(new FaceAnalysis(
                    faces[i],
                    FaceQuality.Estimate(faces[i].Landmarks, crops[i], Recogniser.Template),
                    request.Embed ? recognitions?[i].Embedding : null,
                    attributes?[i],
                    request.KeepCrops ? crops[i].ToArray() : null));
            }

            return new PhotoAnalysis(image.Width, image.Height, results);
        }
        finally
        {
            foreach (var crop in crops)
            {
                crop.Dispose();
            }
        }
    }
}
