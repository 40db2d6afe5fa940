using FacePlatform.Contracts.Face.V1;
using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using FacePlatform.Gateway.Caching;
using FacePlatform.Gateway.Errors;
using FacePlatform.Gateway.Imaging;
using System.ComponentModel.DataAnnotations;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Internal = FacePlatform.Contracts.Internal.V1;
using IdentitySearchRequest = FacePlatform.Contracts.Internal.V1.SearchRequest;
using IdentitySearchResponse = FacePlatform.Contracts.Internal.V1.SearchResponse;
using SearchResponse = FacePlatform.Contracts.Face.V1.SearchResponse;

namespace FacePlatform.Gateway.Faces;

/// <summary>Options of an analysis, the same for REST and gRPC.</summary>
internal sealed record AnalyzeOptions(string? CollectionId, IReadOnlySet<string> Include, int MaxFaces, int MinFaceSize)
{
    /// <summary>The attribute names a caller may ask for.</summary>
    public static readonly IReadOnlyList<string> AttributeNames = ["age", "gender", "emotion", "liveness"];

    /// <summary>The attributes asked for (all of <see cref="AttributeNames"/> unless the caller chose).</summary>
    public IReadOnlySet<string> Attributes { get; private init; } = AttributeNames.ToHashSet();

    /// <summary>
    /// The named profile (<c>accurate</c>, <c>fast</c>; null = the collection's, else the embedding service's default). The embedding service
    /// owns the names (Vision Pipeline/InferenceProfiles.cs) and answers an unknown one with INVALID_ARGUMENT (400).
    /// </summary>
    public string? Profile { get; init; }

    public bool WantsEmbeddings => Include.Contains("embeddings");

    public bool WantsLandmarks => Include.Contains("landmarks");

    /// <summary>Age or gender: what a multi-task recogniser (FaceRes) gives with the embedding.</summary>
    public bool WantsAgeOrGender => Attributes.Contains("age") || Attributes.Contains("gender");

    /// <summary>Validates <paramref name="include"/> against what an analysis can add, and the attribute names.</summary>
    public static AnalyzeOptions Create(
        string? collectionId, IEnumerable<string> include, int maxFaces, int minFaceSize, IEnumerable<string>? attributes = null, string? profile = null)
    {
        var parts = Names(include);
        var unknown = parts.Except(["embeddings", "landmarks"]).ToList();
        if (unknown.Count > 0)
        {
            throw ApiProblemException.BadRequest($"include may name embeddings and landmarks, not {string.Join(", ", unknown)}");
        }

        if (maxFaces is < 0 or > 1000 || minFaceSize is < 0 or > 10_000)
        {
            throw ApiProblemException.BadRequest("maxFaces must be 0–1000 and minFaceSize 0–10000 pixels");
        }

        return new AnalyzeOptions(string.IsNullOrWhiteSpace(collectionId) ? null : collectionId, parts, maxFaces, minFaceSize)
        {
            Attributes = ChosenAttributes(Names(attributes ?? [])),
            Profile = string.IsNullOrWhiteSpace(profile) ? null : profile.Trim(),
        };
    }

    /// <summary>Empty: every attribute (as before the choice existed); "none": no attribute.</summary>
    private static HashSet<string> ChosenAttributes(HashSet<string> names)
    {
        var unknown = names.Except([.. AttributeNames, "none"]).ToList();
        if (unknown.Count > 0)
        {
            throw ApiProblemException.BadRequest(
                $"attributes may name {string.Join(", ", AttributeNames)} or none, not {string.Join(", ", unknown)}");
        }

        if (names.Contains("none"))
        {
            return names.Count == 1 ? [] : throw ApiProblemException.BadRequest("attributes=none cannot be combined with other attributes");
        }

        return names.Count == 0 ? AttributeNames.ToHashSet() : names;
    }

    private static HashSet<string> Names(IEnumerable<string> values) =>
        values.SelectMany(i => i.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(i => i.ToLowerInvariant())
            .ToHashSet();
}

/// <summary>
/// A face given without a photo: a vector from an earlier answer (with the id of the model that made it), or an
/// enrolled face of the collection the call names.
/// </summary>
internal sealed record FaceReference(Contracts.V1.Embedding? Embedding, string? FaceId)
{
    /// <summary>Null when neither is given; both is a 400 naming <paramref name="what"/>.</summary>
    public static FaceReference? From(Contracts.V1.Embedding? embedding, string? faceId, string what)
    {
        var hasEmbedding = embedding is not null && (embedding.Values.Count > 0 || embedding.ModelId.Length > 0);
        var hasFace = !string.IsNullOrWhiteSpace(faceId);
        return (hasEmbedding, hasFace) switch
        {
            (false, false) => null,
            (true, true) => throw ApiProblemException.BadRequest($"{what}: send an embedding or a face id, not both"),
            (true, false) => embedding!.Values.Count == 0 || embedding.ModelId.Length == 0
                ? throw ApiProblemException.BadRequest($"{what}: an embedding needs its model id and its values")
                : new FaceReference(embedding, null),
            _ => new FaceReference(null, faceId),
        };
    }
}

/// <summary>One side of a verification: a photo (its largest face) or a <see cref="FaceReference"/>.</summary>
internal sealed record VerifySide(GatedImage? Image, FaceReference? Reference, string Name)
{
    public bool IsGiven => Image is not null || Reference is not null;

    /// <summary>Side <paramref name="index"/> (1 or 2), named after the field the caller used.</summary>
    public static VerifySide Of(GatedImage? image, FaceReference? reference, int index) =>
        new(image, reference, image is not null ? $"image{index}" : reference?.FaceId is not null ? $"faceId{index}" : $"embedding{index}");
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
    QualityGate quality,
    RecogniserCalibrations calibrations,
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
                new Internal.GetCollectionRequest { TenantId = tenantId, CollectionId = collectionId }, cancellationToken: cancellationToken);
        }

        var cacheKey = cache.KeyFor(tenantId, image.Bytes, options, collection);
        if (await cache.TryGetAsync(cacheKey) is { } cached)
        {
            return cached;
        }

        // Callers pay for what they ask: the recogniser runs for a search, for embeddings, or for age and gender (a
        // multi-task recogniser gives them in the same pass); crops travel only when an attribute model will read them.
        var detectRequest = new DetectRequest
        {
            Image = new Image { Content = GatedImage.Wrap(image) },
            MaxFaces = options.MaxFaces,
            MinFaceSize = options.MinFaceSize,
            IncludeCrops = options.Attributes.Count > 0,
            ModelId = collection?.ModelId ?? string.Empty,
            Profile = ProfileFor(options.Profile, collection),
        };
        var detected = collection is not null || options.WantsEmbeddings || options.WantsAgeOrGender
            ? await embedding.DetectAndEmbedAsync(detectRequest, cancellationToken: cancellationToken)
            : await embedding.DetectAsync(detectRequest, cancellationToken: cancellationToken);
        calibrations.Remember(detected);

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

        var attributesTask = PredictAttributesAsync(detected, options.Attributes, response.Warnings, cancellationToken);
        Task<IdentitySearchResponse?> searchTask = collection is null
            ? Task.FromResult<IdentitySearchResponse?>(null)
            : SearchNullableAsync(tenantId, collection.Id, detected.Faces.Select(f => f.Embedding), SearchThreshold(collection), 0, cancellationToken);
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
                Pose = face.Pose,
                Attributes = Chosen(
                    Merge(face.Attributes, predicted is not null && i < predicted.Attributes.Count ? predicted.Attributes[i] : null),
                    options.Attributes),
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

    /// <summary>
    /// Analyses <paramref name="count"/> photos one after another: <paramref name="open"/> admits and reads photo i (its
    /// lease on the in-flight budget is released once the photo is answered), so a batch never holds more than one
    /// photo. Each photo gets its answer or its own problem; a failure of the platform fails the batch.
    /// </summary>
    public async Task<List<(AnalyzeResponse? Answer, ItemProblem? Problem)>> AnalyzeBatchAsync(
        string tenantId, int count, Func<int, CancellationToken, Task<(GatedImage Image, IDisposable? Lease)>> open,
        AnalyzeOptions options, CancellationToken cancellationToken)
    {
        var results = new List<(AnalyzeResponse?, ItemProblem?)>(count);
        for (var i = 0; i < count; i++)
        {
            IDisposable? lease = null;
            try
            {
                (var image, lease) = await open(i, cancellationToken);
                results.Add((await AnalyzeAsync(tenantId, image, options, cancellationToken), null));
            }
            catch (Exception exception) when (ItemProblem.Of(exception) is { } problem)
            {
                results.Add((null, problem));
            }
            finally
            {
                lease?.Dispose();
            }
        }

        return results;
    }

    /// <summary>Faces only: boxes, scores, landmarks, quality and pose; no recogniser or attribute model runs.</summary>
    public async Task<AnalyzeResponse> DetectFacesAsync(GatedImage image, int maxFaces, int minFaceSize, CancellationToken cancellationToken, string? profile = null)
    {
        AnalyzeOptions.Create(null, [], maxFaces, minFaceSize);
        var detected = await embedding.DetectAsync(new DetectRequest
        {
            Image = new Image { Content = GatedImage.Wrap(image) },
            MaxFaces = maxFaces,
            MinFaceSize = minFaceSize,
            Profile = profile?.Trim() ?? string.Empty,
        }, cancellationToken: cancellationToken);
        telemetry.FacesPerPhoto(detected.Faces.Count);
        var response = new AnalyzeResponse
        {
            ImageWidth = detected.ImageWidth,
            ImageHeight = detected.ImageHeight,
            ImageSha256 = detected.ImageSha256,
        };
        response.ModelIds.AddRange(detected.ModelIds);
        foreach (var face in detected.Faces)
        {
            var found = new AnalyzedFace { Box = face.Box, DetectionScore = face.DetectionScore, Quality = face.Quality, Pose = face.Pose };
            found.Landmarks.AddRange(face.Landmarks);
            response.Faces.Add(found);
        }

        return response;
    }

    /// <summary>
    /// Same person or not. Each side is a photo (its largest face, embedded with the model the comparison needs), a
    /// vector or an enrolled face; the second side may be an enrolled subject instead (identity compares with its best
    /// face). Vectors of different models are never compared: 400 / FAILED_PRECONDITION.
    /// </summary>
    public async Task<VerifyResponse> VerifyAsync(
        string tenantId, VerifySide first, VerifySide second, string? collectionId, string? subjectId, float? threshold,
        CancellationToken cancellationToken)
    {
        var bySubject = !string.IsNullOrEmpty(subjectId);
        if ((first.Image is not null && first.Reference is not null) || (second.Image is not null && second.Reference is not null)
            || !first.IsGiven || second.IsGiven == bySubject)
        {
            throw ApiProblemException.BadRequest(
                "send one of image1, embedding1 or faceId1, and one of image2, embedding2, faceId2 or subjectId (with collection)");
        }

        Collection? collection = null;
        if (bySubject || first.Reference?.FaceId is not null || second.Reference?.FaceId is not null)
        {
            collection = string.IsNullOrEmpty(collectionId)
                ? throw ApiProblemException.BadRequest("a face id or subjectId needs the collection it belongs to")
                : await identity.GetCollectionAsync(
                    new Internal.GetCollectionRequest { TenantId = tenantId, CollectionId = collectionId }, cancellationToken: cancellationToken);
        }

        // The model both sides are compared in: the collection's, else a given vector's, else the default recogniser.
        var modelId = collection?.ModelId
            ?? first.Reference?.Embedding?.ModelId ?? second.Reference?.Embedding?.ModelId ?? string.Empty;
        var firstTask = ResolveAsync(tenantId, collection, modelId, first, cancellationToken);
        var secondTask = bySubject ? Task.FromResult<(Contracts.V1.Embedding, Box?)>(default) : ResolveAsync(tenantId, collection, modelId, second, cancellationToken);
        await Task.WhenAll(firstTask, secondTask);
        var (firstVector, firstBox) = await firstTask;
        if (bySubject)
        {
            var request = new VerifyEmbeddingRequest
            {
                TenantId = tenantId,
                CollectionId = collection!.Id,
                SubjectId = subjectId,
                Embedding = firstVector,
            };
            // A claim is checked against one subject: one chance for a stranger, at the collection's rate.
            if ((threshold ?? calibrations.ThresholdFor(collection.ModelId, RateOf(collection), 1)) is { } limited)
            {
                request.Threshold = limited;
            }

            var verified = await identity.VerifyAsync(request, cancellationToken: cancellationToken);
            return new VerifyResponse
            {
                Similarity = verified.Similarity,
                Threshold = verified.Threshold,
                Match = verified.Match,
                ModelId = firstVector.ModelId,
                Box1 = firstBox,
            };
        }

        var (secondVector, secondBox) = await secondTask;
        if (!string.Equals(firstVector.ModelId, secondVector.ModelId, StringComparison.Ordinal))
        {
            throw ApiProblemException.ModelMismatch(
                $"{first.Name} is a '{firstVector.ModelId}' vector and {second.Name} a '{secondVector.ModelId}' vector; vectors of different models cannot be compared");
        }

        var similarity = Similarity.Cosine(firstVector.Values, secondVector.Values);
        // One comparison: the per-search rate is the per-pair rate.
        var rate = collection is not null ? RateOf(collection) : recognition.Value.SearchFalseAcceptRate;
        var limit = threshold ?? calibrations.ThresholdFor(firstVector.ModelId, rate, 1) ?? recognition.Value.VerifyThreshold;
        return new VerifyResponse
        {
            Similarity = similarity,
            Threshold = limit,
            Match = similarity >= limit,
            ModelId = firstVector.ModelId,
            Box1 = firstBox,
            Box2 = secondBox,
        };
    }

    /// <summary>
    /// Enrols the one face of the photo (or its largest with <paramref name="largest"/>) that passes
    /// <paramref name="qualityFilter"/>; every other face is in the answer's unindexed faces with its reasons.
    /// </summary>
    public async Task<EnrollResponse> EnrollAsync(
        string tenantId, string collectionId, string subjectId, GatedImage image, bool largest, string? requestId,
        CancellationToken cancellationToken, string? qualityFilter = null, string? profile = null)
    {
        var thresholds = quality.Thresholds(qualityFilter);
        var collection = await identity.GetCollectionAsync(
            new Internal.GetCollectionRequest { TenantId = tenantId, CollectionId = collectionId }, cancellationToken: cancellationToken);
        var detected = await DetectAsync(image, collection.ModelId, includeCrops: false, cancellationToken, profile: ProfileFor(profile, collection));
        var (passed, unindexed) = QualityGate.Split(detected.Faces, thresholds);
        if (passed.Count == 0 && unindexed.Count > 0)
        {
            throw ApiProblemException.Unprocessable(
                $"no face passed the quality filter '{qualityFilter ?? "default"}': {QualityGate.Describe(unindexed)}");
        }

        var face = passed.Count switch
        {
            0 => throw ApiProblemException.Unprocessable("no face was found in the photo; enrol a photo that shows the person's face"),
            1 => passed[0],
            _ when largest => passed.MaxBy(f => f.Box.Width * f.Box.Height)!,
            var count => throw ApiProblemException.Unprocessable(
                $"the photo shows {count} faces; enrol a photo of one person, or pass face=largest to take the largest face"),
        };
        unindexed.AddRange(passed.Where(f => !ReferenceEquals(f, face)).Select(f => new UnindexedFace { Box = f.Box, Reasons = { "not_largest" } }));

        var enrolled = await identity.EnrollAsync(new EnrollRequest
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
        enrolled.UnindexedFaces.AddRange(unindexed);
        return enrolled;
    }

    /// <summary>Searches with every face of <paramref name="image"/>, or with the one vector of <paramref name="reference"/>.</summary>
    public async Task<SearchResponse> SearchAsync(
        string tenantId, string collectionId, GatedImage? image, FaceReference? reference, int topK, float? threshold, int maxFaces,
        CancellationToken cancellationToken, string? qualityFilter = null, string? profile = null)
    {
        Limits.QueryLimits.Search(topK, maxFaces);
        var thresholds = quality.Thresholds(qualityFilter);
        if ((image is null) == (reference is null))
        {
            throw ApiProblemException.BadRequest("send one of: a photo (image), an embedding, or a faceId of the collection");
        }

        var collection = await identity.GetCollectionAsync(
            new Internal.GetCollectionRequest { TenantId = tenantId, CollectionId = collectionId }, cancellationToken: cancellationToken);
        if (reference is not null)
        {
            return await SearchByReferenceAsync(tenantId, collection, reference, topK, threshold, cancellationToken);
        }

        var detected = await DetectAsync(image!, collection.ModelId, includeCrops: false, cancellationToken, maxFaces, ProfileFor(profile, collection));
        var (passed, unsearched) = QualityGate.Split(detected.Faces, thresholds);
        var response = new SearchResponse { UnsearchedFaces = { unsearched } };
        if (passed.Count == 0)
        {
            response.Threshold = threshold ?? 0;
            return response;
        }

        var searched = await SearchEmbeddingsAsync(tenantId, collection.Id, passed.Select(f => f.Embedding), threshold ?? SearchThreshold(collection), topK, cancellationToken);
        response.Threshold = searched.Threshold;
        for (var i = 0; i < passed.Count; i++)
        {
            var face = new SearchedFace { Box = passed[i].Box, Unknown = searched.Results[i].Unknown };
            face.Matches.AddRange(searched.Results[i].Matches);
            response.Faces.Add(face);
        }

        return response;
    }

    /// <summary>One answer entry for the one vector (no box: no photo was searched).</summary>
    private async Task<SearchResponse> SearchByReferenceAsync(
        string tenantId, Collection collection, FaceReference reference, int topK, float? threshold, CancellationToken cancellationToken)
    {
        var (query, _) = await ResolveAsync(tenantId, collection, collection.ModelId, new VerifySide(null, reference, "the query"), cancellationToken);
        var searched = await SearchEmbeddingsAsync(tenantId, collection.Id, [query], threshold ?? SearchThreshold(collection), topK, cancellationToken);
        var face = new SearchedFace { Unknown = searched.Results[0].Unknown };
        face.Matches.AddRange(searched.Results[0].Matches);
        return new SearchResponse { Threshold = searched.Threshold, Faces = { face } };
    }

    /// <summary>
    /// The vector of one side, in <paramref name="modelId"/>: a photo's largest face embedded by that model (with its
    /// box), a given vector checked against it, or an enrolled face's stored vector (tenant-scoped: NOT_FOUND otherwise).
    /// </summary>
    private async Task<(Contracts.V1.Embedding Vector, Box? Box)> ResolveAsync(
        string tenantId, Collection? collection, string modelId, VerifySide side, CancellationToken cancellationToken)
    {
        if (side.Image is { } image)
        {
            var face = await LargestFaceAsync(image, modelId, side.Name, cancellationToken, collection?.Profile);
            return (face.Embedding, face.Box);
        }

        if (side.Reference!.FaceId is { } faceId)
        {
            var stored = await identity.GetFaceEmbeddingAsync(
                new GetFaceEmbeddingRequest { TenantId = tenantId, CollectionId = collection!.Id, FaceId = faceId }, cancellationToken: cancellationToken);
            return (stored, null);
        }

        var vector = side.Reference.Embedding!;
        if (!string.IsNullOrEmpty(modelId) && !string.Equals(vector.ModelId, modelId, StringComparison.Ordinal))
        {
            throw ApiProblemException.ModelMismatch(collection is not null
                ? $"the collection holds '{collection.ModelId}' vectors; {side.Name} is a '{vector.ModelId}' vector and cannot be compared with them"
                : $"{side.Name} is a '{vector.ModelId}' vector; it cannot be compared with a '{modelId}' vector");
        }

        if (collection is not null && vector.Values.Count != collection.Dimension)
        {
            throw ApiProblemException.ModelMismatch(
                $"the collection holds {collection.Dimension}-d '{collection.ModelId}' vectors; {side.Name} has {vector.Values.Count} values");
        }

        return (vector, null);
    }

    /// <summary>Detects and embeds with <paramref name="modelId"/> (a collection's recogniser is never replaced by the profile's).</summary>
    private async Task<DetectResponse> DetectAsync(
        GatedImage image, string modelId, bool includeCrops, CancellationToken cancellationToken, int maxFaces = 0, string? profile = null)
    {
        var detected = await embedding.DetectAndEmbedAsync(new DetectRequest
        {
            Profile = profile?.Trim() ?? string.Empty,
            Image = new Image { Content = GatedImage.Wrap(image) },
            IncludeCrops = includeCrops,
            ModelId = modelId,
            MaxFaces = maxFaces,
        }, cancellationToken: cancellationToken);
        calibrations.Remember(detected);
        return detected;
    }

    private async Task<DetectedFace> LargestFaceAsync(GatedImage image, string modelId, string name, CancellationToken cancellationToken, string? profile = null)
    {
        var detected = await DetectAsync(image, modelId, includeCrops: false, cancellationToken, profile: profile);
        return detected.Faces.MaxBy(f => f.Box.Width * f.Box.Height)
            ?? throw ApiProblemException.Unprocessable($"no face was found in {name}");
    }

    /// <summary>
    /// The profile of a request: its own when it names one, else its collection's (created with one), else empty for
    /// the embedding service's default. Only detection knobs and the recogniser of collection-less calls follow it; a
    /// collection's recogniser is always its <c>model_id</c>.
    /// </summary>
    internal static string ProfileFor(string? requested, Collection? collection) =>
        !string.IsNullOrWhiteSpace(requested) ? requested.Trim() : collection?.Profile ?? string.Empty;

    /// <summary>The collection's per-search false-accept rate, else the platform's.</summary>
    private double RateOf(Collection collection) =>
        collection.FalseAcceptRate > 0 ? collection.FalseAcceptRate : recognition.Value.SearchFalseAcceptRate;

    /// <summary>
    /// The calibrated threshold of a search in <paramref name="collection"/>: a stranger is compared with each of its
    /// faces, so the per-pair rate shrinks with the gallery (<see cref="ThresholdCalibration.PerPairRate"/>). Null
    /// when the recogniser's calibration is not known: identity then applies its configured default.
    /// </summary>
    private float? SearchThreshold(Collection collection) =>
        calibrations.ThresholdFor(collection.ModelId, RateOf(collection), collection.FaceCount);

    private async Task<IdentitySearchResponse?> SearchNullableAsync(
        string tenantId, string collectionId, IEnumerable<Contracts.V1.Embedding> queries, float? threshold, int topK,
        CancellationToken cancellationToken) =>
        await SearchEmbeddingsAsync(tenantId, collectionId, queries, threshold, topK, cancellationToken);

    private async Task<IdentitySearchResponse> SearchEmbeddingsAsync(
        string tenantId, string collectionId, IEnumerable<Contracts.V1.Embedding> queries, float? threshold, int topK,
        CancellationToken cancellationToken)
    {
        var request = new IdentitySearchRequest
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
        DetectResponse detected, IReadOnlySet<string> wanted, Google.Protobuf.Collections.RepeatedField<string> warnings,
        CancellationToken cancellationToken)
    {
        var request = new PredictRequest();
        request.Include.AddRange(AnalyzeOptions.AttributeNames.Where(wanted.Contains));
        // A multi-task recogniser (FaceRes) already read age and gender in the pass that made the embedding: ask the
        // attributes service only for what is missing, so FaceRes does not run twice per face.
        if (detected.Faces.All(f => f.Attributes is { HasAge: true, Gender: not null }))
        {
            request.Include.Remove("age");
            request.Include.Remove("gender");
        }

        // Nothing left to ask: the attributes service is not called at all.
        if (request.Include.Count == 0)
        {
            return null;
        }

        request.Crops.AddRange(detected.Faces.Select(f => f.Crop).Where(c => c is not null));

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
            merged.AgeRange = fromEmbedding.AgeRange;
        }

        merged.Gender ??= fromEmbedding.Gender;
        merged.ModelIds.AddRange(fromEmbedding.ModelIds.Except(merged.ModelIds));
        return merged;
    }

    /// <summary>Only the attributes the caller asked for (the recogniser may have given age and gender unasked).</summary>
    private static Attributes? Chosen(Attributes? attributes, IReadOnlySet<string> wanted)
    {
        if (attributes is null || wanted.Count == AnalyzeOptions.AttributeNames.Count)
        {
            return attributes;
        }

        if (wanted.Count == 0)
        {
            return null;
        }

        var chosen = attributes.Clone();
        if (!wanted.Contains("age"))
        {
            chosen.ClearAge();
            chosen.AgeRange = null;
        }

        if (!wanted.Contains("gender"))
        {
            chosen.Gender = null;
        }

        if (!wanted.Contains("emotion"))
        {
            chosen.Emotions.Clear();
        }

        if (!wanted.Contains("liveness"))
        {
            chosen.ClearRealScore();
            chosen.ClearLiveScore();
        }

        return chosen;
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
