using System.Text.Json;

namespace FacePlatform.Client.Rest;

// The JSON shapes of the REST API (see the OpenAPI document at /openapi/v1.json), as this client reads them.

/// <summary>A gallery of subjects, bound to one embedding model.</summary>
public sealed record CollectionView(string Id, string Name, string Description, string ModelId, int Dimension,
    long SubjectCount, long FaceCount, long Version, DateTimeOffset CreatedAt, double? FalseAcceptRate = null, string? Profile = null);

/// <summary>
/// What a new collection is fixed to at creation; every value left null takes the platform's default. The recogniser
/// (<paramref name="ModelId"/>, <paramref name="Dimension"/>) never changes afterwards; <paramref name="FalseAcceptRate"/>
/// is the per-search false-accept rate of the default threshold; <paramref name="Profile"/> (accurate, fast) is used by
/// requests on the collection that name none.
/// </summary>
public sealed record CollectionSettings(
    string? Description = null, string? ModelId = null, int? Dimension = null, double? FalseAcceptRate = null, string? Profile = null);

/// <summary>One page of collections; <paramref name="NextPageToken"/> is null on the last page.</summary>
public sealed record CollectionPage(IReadOnlyList<CollectionView> Collections, string? NextPageToken);

/// <summary>What a delete removed, cascades included.</summary>
public sealed record DeleteResult(long DeletedSubjects, long DeletedFaces);

/// <summary>A known person of a collection.</summary>
public sealed record SubjectView(string Id, string CollectionId, string ExternalId, string DisplayName, JsonElement Metadata,
    long FaceCount, DateTimeOffset CreatedAt);

/// <summary>One page of subjects; <paramref name="NextPageToken"/> is null on the last page.</summary>
public sealed record SubjectPage(IReadOnlyList<SubjectView> Subjects, string? NextPageToken);

/// <summary>A rectangle in pixels of the original photo, origin top-left.</summary>
public sealed record BoxView(float X, float Y, float Width, float Height);

/// <summary>An enrolled face; no photo is stored, only its SHA-256.</summary>
public sealed record EnrolledFaceView(string Id, string SubjectId, float Quality, BoxView? Box, string ImageSha256, string ModelId,
    DateTimeOffset CreatedAt);

/// <summary>What an enrolment stored; <paramref name="Duplicates"/> counts faces that were already enrolled.</summary>
public sealed record EnrollView(IReadOnlyList<EnrolledFaceView> Faces, int Duplicates);

/// <summary>A subject a face matched, with the cosine similarity of its best enrolled face.</summary>
public sealed record MatchView(string SubjectId, string ExternalId, string DisplayName, float Similarity, string FaceId);

/// <summary>A face of the searched photo with its best subjects, or unknown.</summary>
public sealed record SearchedFaceView(BoxView? Box, IReadOnlyList<MatchView> Matches, bool Unknown);

/// <summary>Search answer: one entry per face of the photo.</summary>
public sealed record SearchView(float Threshold, IReadOnlyList<SearchedFaceView> Faces);

/// <summary>Same person or not.</summary>
public sealed record VerifyView(float Similarity, float Threshold, bool Match, string ModelId);

/// <summary>How usable a face is for recognition, each part in [0, 1].</summary>
public sealed record QualityView(float Score, float Sharpness, float Size, float Frontality);

/// <summary>Gender with the probability of the label.</summary>
public sealed record GenderView(string Label, float Probability);

/// <summary>The most likely emotion and every class's score.</summary>
public sealed record EmotionView(string Label, IReadOnlyDictionary<string, float> Scores);

/// <summary>Anti-spoofing (<paramref name="Real"/>) and liveness (<paramref name="Live"/>) probabilities.</summary>
public sealed record LivenessView(float? Real, float? Live);

/// <summary>A named landmark in pixels of the original photo.</summary>
public sealed record LandmarkView(string Name, float X, float Y);

/// <summary>An embedding and the model that made it.</summary>
public sealed record EmbeddingView(string Model, IReadOnlyList<float> Vector);

/// <summary>One face of an analysed photo.</summary>
public sealed record AnalyzedFaceView(BoxView? Box, float Score, IReadOnlyList<LandmarkView>? Landmarks, QualityView? Quality,
    float? Age, GenderView? Gender, EmotionView? Emotion, LivenessView? Liveness, IReadOnlyList<MatchView>? Matches, bool? Unknown,
    EmbeddingView? Embedding);

/// <summary>Every face of a photo.</summary>
public sealed record AnalyzeView(int ImageWidth, int ImageHeight, string ImageSha256, IReadOnlyList<string> ModelIds,
    IReadOnlyList<string> Warnings, IReadOnlyList<AnalyzedFaceView> Faces);
