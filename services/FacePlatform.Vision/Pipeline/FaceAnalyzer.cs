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

    /// <summary>The recogniser for this photo (null: the analyzer's own), e.g. a collection's model.</summary>
    public IFaceRecogniser? Recogniser { get; init; }

    /// <summary>The detector for this photo (null: the analyzer's own), e.g. an inference profile's.</summary>
    public IFaceDetector? Detector { get; init; }
}

/// <summary>One face of an analysed photo.</summary>
/// <param name="Detection">Box, score, landmarks.</param>
/// <param name="Quality">Recognition quality.</param>
/// <param name="Embedding">The embedding, when asked for.</param>
/// <param name="Attributes">The attributes, when asked for.</param>
/// <param name="Crop">The aligned crop (RGB, <see cref="CropSize"/>², recogniser input size), when asked for.</param>
/// <param name="CropSize">Side of <paramref name="Crop"/> in pixels (0 without it).</param>
public sealed record FaceAnalysis(FaceDetection Detection, FaceQuality Quality, FaceEmbedding? Embedding, FaceAttributes? Attributes, byte[]? Crop, int CropSize = 0);

/// <summary>An analysed photo.</summary>
/// <param name="Width">Width after EXIF orientation.</param>
/// <param name="Height">Height after EXIF orientation.</param>
/// <param name="Faces">Faces, largest first.</param>
public sealed record PhotoAnalysis(int Width, int Height, IReadOnlyList<FaceAnalysis> Faces);

/// <summary>
/// The pipeline, the one path from a photo to its faces for every caller (the embedding service, facectl analyze and
/// eval, the trainer): detect, align each face to the recogniser's crop, embed every face of the photo in one batch —
/// which, with a multi-task recogniser such as FaceRes, also gives age and gender — and run the attribute stages on the
/// same crops. Each stage is an interface (<see cref="IFaceDetector"/>, <see cref="IFaceRecogniser"/>,
/// <see cref="IFaceAttributePredictor"/>) built from the manifest by <see cref="ModelFamilies"/>.
/// </summary>
public sealed class FaceAnalyzer
{
    private readonly InferenceTelemetry? _telemetry;

    /// <summary>Creates the analyzer.</summary>
    /// <param name="detector">The detector.</param>
    /// <param name="recogniser">The default recogniser.</param>
    /// <param name="attributes">The attribute stages; null: none, and age and gender come from a multi-task recogniser's pass alone.</param>
    /// <param name="limits">Decoder limits.</param>
    /// <param name="telemetry">Where faces per photo and the stage spans (<c>pipeline.detect</c>, <c>align</c>, <c>embed</c>, <c>attributes</c>) go.</param>
    public FaceAnalyzer(IFaceDetector detector, IFaceRecogniser recogniser, AttributePredictor? attributes, ImageLimits? limits = null, InferenceTelemetry? telemetry = null)
    {
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentNullException.ThrowIfNull(recogniser);
        Detector = detector;
        Recogniser = recogniser;
        Attributes = attributes;
        Limits = limits ?? ImageLimits.Default;
        _telemetry = telemetry;
    }

    /// <summary>The detector.</summary>
    public IFaceDetector Detector { get; }

    /// <summary>The default recogniser.</summary>
    public IFaceRecogniser Recogniser { get; }

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
        var recogniser = request.Recogniser ?? Recogniser;
        IReadOnlyList<FaceDetection> faces;
        using (var span = _telemetry?.StartStage("detect"))
        {
            faces = await (request.Detector ?? Detector).DetectAsync(image, request.MaxFaces, request.MinFaceSize, cancellationToken);
            span?.SetTag(InferenceTelemetry.FaceCountAttribute, faces.Count);
        }

        _telemetry?.FacesPerPhoto.Record(faces.Count);
        List<RgbImage> crops;
        using (_telemetry?.StartStage("align", faces.Count))
        {
            crops = faces.Select(f => recogniser.Align(image, f)).ToList();
        }

        try
        {
            var needAgeGender = (request.Attributes & (AttributeKinds.Age | AttributeKinds.Gender)) != 0;
            IReadOnlyList<Recognition.Recognition>? recognitions = null;
            if (request.Embed || (needAgeGender && recogniser.IsMultiTask))
            {
                using (_telemetry?.StartStage("embed", crops.Count))
                {
                    recognitions = await recogniser.EmbedAsync(crops, cancellationToken);
                }
            }

            IReadOnlyList<FaceAttributes?>? attributes = null;
            if (request.Attributes != AttributeKinds.None && Attributes is not null && crops.Count > 0)
            {
                IReadOnlyList<FaceAttributes> predicted;
                using (_telemetry?.StartStage("attributes", crops.Count))
                {
                    var framed = crops.Select(c => new FramedCrop(c, recogniser.Template)).ToList();
                    predicted = await Attributes.PredictAsync(framed, request.Attributes, recognitions?.Select(r => r.AgeGender).ToList(), cancellationToken);
                }

                attributes = recognitions is not null && recogniser.IsMultiTask && needAgeGender
                    ? [.. predicted.Select(a => a with { ModelIds = [.. recogniser.AgeGenderModelIds, .. a.ModelIds] })]
                    : predicted;
            }
            else if (needAgeGender && recognitions is not null && Attributes is null)
            {
                // No attribute stages (the embedding service): the recogniser's own age and gender, where it gave them.
                var wantAge = (request.Attributes & AttributeKinds.Age) != 0;
                var wantGender = (request.Attributes & AttributeKinds.Gender) != 0;
                attributes = [.. recognitions.Select(r => r.AgeGender is { } a
                    ? new FaceAttributes(wantAge ? a.Age : null, wantGender ? a.GenderLabel : null, wantGender ? a.GenderProbability : null, null, null, null, recogniser.AgeGenderModelIds)
                    : null)];
            }

            var results = new List<FaceAnalysis>(faces.Count);
            for (var i = 0; i < faces.Count; i++)
            {
                results.Add(new FaceAnalysis(
                    faces[i],
                    FaceQuality.Estimate(faces[i].Landmarks, crops[i], recogniser.Template),
                    request.Embed ? recognitions?[i].Embedding : null,
                    attributes?[i],
                    request.KeepCrops ? crops[i].ToArray() : null,
                    request.KeepCrops ? crops[i].Width : 0));
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
