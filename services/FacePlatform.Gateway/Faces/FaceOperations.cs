using FacePlatform.Contracts.V1;
using FacePlatform.Gateway.Caching;
using FacePlatform.Gateway.Errors;
using FacePlatform.Gateway.Imaging;
using System.ComponentModel.DataAnnotations;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace FacePlatform.Gateway.Faces;

/// <summary>Options of an analysis, the same for REST and gRPC.</summary>
internal sealed record AnalyzeOptions(string? CollectionId, IReadOnlySet<string> Include, int MaxFaces, int MinFaceSize)
{
    public bool WantsEmbeddings => Include.Contains("embeddings");

    public bool WantsLandmarks => Include.Contains("landmarks");

    /// <summary>Validates <paramref name="include"/> against what an analysis can add.</summary>
    public static AnalyzeOptions Create(string? collectionId, IEnumerable<string> include, int maxFaces, int minFaceSize)
    {
        var parts = include.SelectMany(i => i.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(i => i.ToLowerInvariant())
            .ToHashSet();
        var unknown = parts.Except(["embeddings", "landmarks"]).ToList();
        if (unknown.Count > 0)
        {
            throw ApiProblemException.BadRequest($"include may name embeddings and landmarks, not {string.Join(", ", unknown)}");
        }

        if (maxFaces is < 0 or > 1000 || minFaceSize is < 0 or > 10_000)
        {
            throw ApiProblemException.BadRequest("maxFaces must be 0–1000 and minFaceSize 0–10000 pixels");
        }

        return new AnalyzeOptions(string.IsNullOrWhiteSpace(collectionId) ? null : collectionId, parts, maxFaces, minFaceSize);
    }
}

/// <summary>Settings of recognition answers (section <c>Recognition</c>).</summary>
internal sealed class RecognitionOptions
{
    public const string Section = "Recognition";

    /// <summary>
    /// Chance that a never-enrolled face is taken for someone, per search (and per verification of a claim), when
    /// neither the request (an explicit threshold) nor the collection names one. The threshold follows from the
    /// recogniser's calibration (its model manifest entry) and the gallery's size: per-pair rate p = 1 − (1 − α)^(1/N)
    /// for N enrolled faces (docs/accuracy.md, "Open set").
    /// </summary>
    [Range(1e-9, ThresholdCalibration.MaxFalseAcceptRate)]
    public double SearchFalseAcceptRate { get; set; } = ThresholdCalibration.DefaultSearchFalseAcceptRate;

    /// <summary>
    /// Cosine similarity at or above which two faces are the same person when the recogniser has no calibration in
    /// its manifest entry (an operator-registered model): the fixed default of the platform before calibration.
    /// </summary>
    [Range(-1.0, 1.0)]
    public float VerifyThreshold { get; set; } = 0.5f;

    /// <summary>Subjects per face in analyse and search answers when the caller names none.</summary>
    public int DefaultTopK { get; set; } = 3;
}

/// <summary>
/// The public operations on photos — analyse, verify, enrol, search — as one fan-out to the internal services. REST
/// and gRPC both call this, so both behave the same.
/// </summary>
internal sealed partial class FaceOperations(
    EmbeddingService.EmbeddingServiceClient embedding,
    AttributesService.AttributesServiceClient attributes,
    IdentityService.IdentityServiceClient identity,
    AnalysisCache cache,
    GatewayTelemetry telemetry,
    IOptions<RecognitionOptions> recognition,
    ILogger<FaceOperations> logger)
{
    public async Task<AnalyzeResponse> AnalyzeAsync(string tenantId, GatedImage image, AnalyzeOptions options, CancellationToken cancellationToken)
    {
        Collection? collection = null;
        if (options.CollectionId is { } collectionId)
        {
            collection = await identity.GetCollectionAsync(
                new GetCollectionRequest { TenantId = tenantId, CollectionId = collectionId }, cancellationToken: cancellationToken);
        }

        var cacheKey = cache.KeyFor(tenantId, image.Bytes, options, collection);
        if (await cache.TryGetAsync(cacheKey) is { } cached)
        {
            return cached;
        }

        var detected = await embedding.DetectAndEmbedAsync(new DetectRequest
        {
            Image = new Image { Content = GatedImage.Wrap(image) },
            MaxFaces = options.MaxFaces,
            MinFaceSize = options.MinFaceSize,
            IncludeCrops = true,
            ModelId = collection?.ModelId ?? string.Empty,
        }, cancellationToken: cancellationToken);

        var response = new AnalyzeResponse
        {
            ImageWidth = detected.ImageWidth,
            ImageHeight = detected.ImageHeight,
            ImageSha256 = detected.ImageSha256,
        };
        response.ModelIds.AddRange(detected.ModelIds);
        telemetry.FacesPerPhoto(detected.Faces.Count);
        if (detected.Faces.Count == 0)
        {
            await cache.SetAsync(cacheKey, response, detected.ModelIds);
            return response;
        }

        var attributesTask = PredictAttributesAsync(detected, response.Warnings, cancellationToken);
        Task<SearchResponse?> searchTask = collection is null
            ? Task.FromResult<SearchResponse?>(null)
            : SearchNullableAsync(tenantId, collection.Id, detected.Faces.Select(f => f.Embedding), DefaultSearchThreshold(detected, collection), 0, cancellationToken);
        await Task.WhenAll(attributesTask, searchTask);
        var predicted = await attributesTask;
        var searched = await searchTask;
        if (predicted is not null)
        {
            response.ModelIds.AddRange(predicted.Attributes.SelectMany(a => a.ModelIds).Distinct().Except(response.ModelIds));
        }

        for (var i = 0; i < detected.Faces.Count; i++)
        {
            var face = detected.Faces[i];
            var analyzed = new AnalyzedFace
            {
                Box = face.Box,
                DetectionScore = face.DetectionScore,
                Quality = face.Quality,
                Attributes = Merge(face.Attributes, predicted is not null && i < predicted.Attributes.Count ? predicted.Attributes[i] : null),
                Embedding = options.WantsEmbeddings ? face.Embedding : null,
            };
            if (options.WantsLandmarks)
            {
                analyzed.Landmarks.AddRange(face.Landmarks);
            }

            if (searched is not null)
            {
                analyzed.Matches.AddRange(searched.Results[i].Matches);
                analyzed.Unknown = searched.Results[i].Unknown;
            }

            response.Faces.Add(analyzed);
        }

        // An answer with missing parts is not cached: the next call may get them.
        if (response.Warnings.Count == 0)
        {
            await cache.SetAsync(cacheKey, response, detected.ModelIds);
        }

        return response;
    }

    public async Task<VerifyResponse> VerifyAsync(
        string tenantId, GatedImage image1, GatedImage? image2, string? collectionId, string? subjectId, float? threshold,
        CancellationToken cancellationToken)
    {
        if (image2 is null && (string.IsNullOrEmpty(collectionId) || string.IsNullOrEmpty(subjectId)))
        {
            throw ApiProblemException.BadRequest("send image2, or collection and subjectId of an enrolled subject");
        }

        if (image2 is not null)
        {
            var firstTask = LargestFaceAsync(image1, string.Empty, "image1", cancellationToken);
            var secondTask = LargestFaceAsync(image2, string.Empty, "image2", cancellationToken);
            await Task.WhenAll(firstTask, secondTask);
            var ((first, calibration), (second, _)) = (await firstTask, await secondTask);
            var similarity = Similarity.Cosine(first.Embedding.Values, second.Embedding.Values);
            // One comparison: the per-search rate is the per-pair rate.
            var limit = threshold ?? calibration?.ThresholdFor(recognition.Value.SearchFalseAcceptRate, 1) ?? recognition.Value.VerifyThreshold;
            return new VerifyResponse
            {
                Similarity = similarity,
                Threshold = limit,
                Match = similarity >= limit,
                ModelId = first.Embedding.ModelId,
            };
        }

        var collection = await identity.GetCollectionAsync(
            new GetCollectionRequest { TenantId = tenantId, CollectionId = collectionId }, cancellationToken: cancellationToken);
        var (face, subjectCalibration) = await LargestFaceAsync(image1, collection.ModelId, "image1", cancellationToken);
        var request = new VerifyEmbeddingRequest
        {
            TenantId = tenantId,
            CollectionId = collection.Id,
            SubjectId = subjectId,
            Embedding = face.Embedding,
        };
        // A claim is checked against one subject: one chance for a stranger, at the collection's rate.
        if ((threshold ?? subjectCalibration?.ThresholdFor(RateOf(collection), 1)) is { } limited)
        {
            request.Threshold = limited;
        }

        var verified = await identity.VerifyAsync(request, cancellationToken: cancellationToken);
        return new VerifyResponse
        {
            Similarity = verified.Similarity,
            Threshold = verified.Threshold,
            Match = verified.Match,
            ModelId = face.Embedding.ModelId,
        };
    }

    public async Task<EnrollResponse> EnrollAsync(
        string tenantId, string collectionId, string subjectId, GatedImage image, bool largest, string? requestId,
        CancellationToken cancellationToken)
    {
        var collection = await identity.GetCollectionAsync(
            new GetCollectionRequest { TenantId = tenantId, CollectionId = collectionId }, cancellationToken: cancellationToken);
        var detected = await DetectAsync(image, collection.ModelId, includeCrops: false, cancellationToken);
        var face = detected.Faces.Count switch
        {
            0 => throw ApiProblemException.Unprocessable("no face was found in the photo; enrol a photo that shows the person's face"),
            1 => detected.Faces[0],
            _ when largest => detected.Faces.MaxBy(f => f.Box.Width * f.Box.Height)!,
            var count => throw ApiProblemException.Unprocessable(
                $"the photo shows {count} faces; enrol a photo of one person, or pass face=largest to take the largest face"),
        };

        return await identity.EnrollAsync(new EnrollRequest
        {
            TenantId = tenantId,
            CollectionId = collection.Id,
            SubjectId = subjectId,
            RequestId = requestId ?? string.Empty,
            Faces =
            {
                new FaceToEnroll
                {
                    Embedding = face.Embedding,
                    Quality = face.Quality?.Score ?? 0,
                    Box = face.Box,
                    ImageSha256 = detected.ImageSha256,
                },
            },
        }, cancellationToken: cancellationToken);
    }

    public async Task<SearchPhotoResponse> SearchAsync(
        string tenantId, string collectionId, GatedImage image, int topK, float? threshold, int maxFaces,
        CancellationToken cancellationToken)
    {
        Limits.QueryLimits.Search(topK, maxFaces);
        var collection = await identity.GetCollectionAsync(
            new GetCollectionRequest { TenantId = tenantId, CollectionId = collectionId }, cancellationToken: cancellationToken);
        var detected = await DetectAsync(image, collection.ModelId, includeCrops: false, cancellationToken, maxFaces);
        var response = new SearchPhotoResponse();
        if (detected.Faces.Count == 0)
        {
            response.Threshold = threshold ?? 0;
            return response;
        }

        var searched = await SearchEmbeddingsAsync(
            tenantId, collection.Id, detected.Faces.Select(f => f.Embedding), threshold ?? DefaultSearchThreshold(detected, collection), topK, cancellationToken);
        response.Threshold = searched.Threshold;
        for (var i = 0; i < detected.Faces.Count; i++)
        {
            var face = new SearchedFace { Box = detected.Faces[i].Box, Unknown = searched.Results[i].Unknown };
            face.Matches.AddRange(searched.Results[i].Matches);
            response.Faces.Add(face);
        }

        return response;
    }

    private async Task<DetectResponse> DetectAsync(GatedImage image, string modelId, bool includeCrops, CancellationToken cancellationToken, int maxFaces = 0) =>
        await embedding.DetectAndEmbedAsync(new DetectRequest
        {
            Image = new Image { Content = GatedImage.Wrap(image) },
            IncludeCrops = includeCrops,
            ModelId = modelId,
            MaxFaces = maxFaces,
        }, cancellationToken: cancellationToken);

    private async Task<(DetectedFace Face, ThresholdCalibration? Calibration)> LargestFaceAsync(GatedImage image, string modelId, string name, CancellationToken cancellationToken)
    {
        var detected = await DetectAsync(image, modelId, includeCrops: false, cancellationToken);
        var face = detected.Faces.MaxBy(f => f.Box.Width * f.Box.Height)
            ?? throw ApiProblemException.Unprocessable($"no face was found in {name}");
        return (face, detected.Calibration is { Points.Count: > 0 } calibration ? calibration : null);
    }

    /// <summary>The collection's per-search false-accept rate, else the platform's.</summary>
    private double RateOf(Collection collection) =>
        collection.FalseAcceptRate > 0 ? collection.FalseAcceptRate : recognition.Value.SearchFalseAcceptRate;

    /// <summary>
    /// The calibrated threshold of a search in <paramref name="collection"/>: a stranger is compared with each of its
    /// faces, so the per-pair rate shrinks with the gallery (<see cref="ThresholdCalibration.PerPairRate"/>). Null
    /// when the recogniser has no calibration: identity then applies its configured default.
    /// </summary>
    private float? DefaultSearchThreshold(DetectResponse detected, Collection collection) =>
        detected.Calibration is { Points.Count: > 0 } calibration ? calibration.ThresholdFor(RateOf(collection), collection.FaceCount) : null;

    private async Task<SearchResponse?> SearchNullableAsync(
        string tenantId, string collectionId, IEnumerable<Contracts.V1.Embedding> queries, float? threshold, int topK,
        CancellationToken cancellationToken) =>
        await SearchEmbeddingsAsync(tenantId, collectionId, queries, threshold, topK, cancellationToken);

    private async Task<SearchResponse> SearchEmbeddingsAsync(
        string tenantId, string collectionId, IEnumerable<Contracts.V1.Embedding> queries, float? threshold, int topK,
        CancellationToken cancellationToken)
    {
        var request = new SearchRequest
        {
            TenantId = tenantId,
            CollectionId = collectionId,
            TopK = topK > 0 ? topK : recognition.Value.DefaultTopK,
        };
        request.Queries.AddRange(queries);
        if (threshold is { } given)
        {
            request.Threshold = given;
        }

        return await identity.SearchAsync(request, cancellationToken: cancellationToken);
    }

    private async Task<PredictResponse?> PredictAttributesAsync(
        DetectResponse detected, Google.Protobuf.Collections.RepeatedField<string> warnings, CancellationToken cancellationToken)
    {
        var request = new PredictRequest();
        request.Crops.AddRange(detected.Faces.Select(f => f.Crop).Where(c => c is not null));
        // A multi-task recogniser (FaceRes) already read age and gender in the pass that made the embedding: ask the
        // attributes service only for what is missing, so FaceRes does not run twice per face.
        if (detected.Faces.All(f => f.Attributes is { HasAge: true, Gender: not null }))
        {
            request.Include.Add("emotion");
            request.Include.Add("liveness");
        }

        if (request.Crops.Count != detected.Faces.Count)
        {
            warnings.Add("attributes unavailable: the embedding service returned no aligned crops");
            return null;
        }

        try
        {
            return await attributes.PredictAsync(request, cancellationToken: cancellationToken);
        }
        catch (RpcException exception) when (exception.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded
            or StatusCode.Unimplemented or StatusCode.ResourceExhausted or StatusCode.Internal or StatusCode.Unknown)
        {
            // Attributes are optional: the answer goes out without them, saying why.
            LogAttributesMissing(logger, exception.StatusCode, exception.Status.Detail);
            warnings.Add($"attributes unavailable ({exception.StatusCode}): emotion and liveness are missing, and age and gender unless the recogniser gave them");
            return null;
        }
    }

    /// <summary>Age and gender from the embedding pass, the rest from the attributes service.</summary>
    private static Attributes? Merge(Attributes? fromEmbedding, Attributes? fromService)
    {
        if (fromEmbedding is null)
        {
            return fromService;
        }

        var merged = fromService?.Clone() ?? new Attributes();
        if (!merged.HasAge && fromEmbedding.HasAge)
        {
            merged.Age = fromEmbedding.Age;
        }

        merged.Gender ??= fromEmbedding.Gender;
        merged.ModelIds.AddRange(fromEmbedding.ModelIds.Except(merged.ModelIds));
        return merged;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Answering without attributes: {Status} {Detail}")]
    private static partial void LogAttributesMissing(ILogger logger, StatusCode status, string detail);
}

/// <summary>Vector arithmetic of the gateway.</summary>
internal static class Similarity
{
    /// <summary>Cosine similarity; the embeddings are L2-normalised, but this does not rely on it.</summary>
    public static float Cosine(IReadOnlyList<float> a, IReadOnlyList<float> b)
    {
        if (a.Count != b.Count || a.Count == 0)
        {
            throw ApiProblemException.Unprocessable("the two faces were embedded by different models and cannot be compared");
        }

        var left = a as float[] ?? [.. a];
        var right = b as float[] ?? [.. b];
        return System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(left, right);
    }
}
