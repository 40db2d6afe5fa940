using System.Text.Json;
using FacePlatform.Contracts.Face.V1;
using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using Google.Protobuf;
using SearchResponse = FacePlatform.Contracts.Face.V1.SearchResponse;

namespace FacePlatform.Gateway.Rest;

// REST shapes of analyse, verify, subjects, faces and search (see RestModels.cs for why they exist beside the protos).

/// <summary>A rectangle in pixels of the original photo, origin top-left.</summary>
public sealed record BoxView(float X, float Y, float Width, float Height)
{
    internal static BoxView? From(Box? b) => b is null ? null : new(b.X, b.Y, b.Width, b.Height);
}

/// <summary>A named landmark in pixels of the original photo.</summary>
public sealed record LandmarkView(string Name, float X, float Y);

/// <summary>How usable a face is for recognition, each part in [0, 1].</summary>
public sealed record QualityView(float Score, float Sharpness, float Size, float Frontality)
{
    internal static QualityView? From(Quality? q) => q is null ? null : new(q.Score, q.Sharpness, q.Size, q.Frontality);
}

/// <summary>
/// Head pose in degrees from the landmarks. Seen from the camera: yaw &gt; 0 when the subject turns to their own left,
/// pitch &gt; 0 when they look up, roll &gt; 0 when the head tilts clockwise in the photo; all 0 when frontal.
/// </summary>
public sealed record PoseView(float Yaw, float Pitch, float Roll)
{
    internal static PoseView? From(Pose? p) => p is null ? null : new(p.Yaw, p.Pitch, p.Roll);
}

/// <summary>The ages the face most likely has (whole years): the estimate widened by the model's measured error.</summary>
public sealed record AgeRangeView(int Low, int High)
{
    internal static AgeRangeView? From(AgeRange? r) => r is null ? null : new(r.Low, r.High);
}

/// <summary>Gender with the probability of the label.</summary>
public sealed record GenderView(string Label, float Probability);

/// <summary>The most likely emotion and every class's score.</summary>
public sealed record EmotionView(string Label, IReadOnlyDictionary<string, float> Scores);

/// <summary>Anti-spoofing (<paramref name="Real"/>) and liveness (<paramref name="Live"/>) probabilities.</summary>
public sealed record LivenessView(float? Real, float? Live);

/// <summary>A subject a face matched, with the cosine similarity of its best enrolled face.</summary>
public sealed record MatchView(string SubjectId, string ExternalId, string DisplayName, float Similarity, string FaceId)
{
    internal static MatchView From(SubjectMatch m) => new(m.SubjectId, m.ExternalId, m.DisplayName, m.Similarity, m.FaceId);
}

/// <summary>An embedding and the model that made it.</summary>
public sealed record EmbeddingView(string Model, IReadOnlyList<float> Vector)
{
    /// <summary>A vector the caller sends back (JSON text of this shape); null when the field is absent.</summary>
    internal static Contracts.V1.Embedding? Parse(string? json, string field)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        EmbeddingView? view;
        try
        {
            view = JsonSerializer.Deserialize<EmbeddingView>(json, JsonSerializerOptions.Web);
        }
        catch (JsonException)
        {
            view = null;
        }

        if (view is not { Model.Length: > 0, Vector.Count: > 0 } || view.Vector.Any(v => !float.IsFinite(v)))
        {
            throw Errors.ApiProblemException.BadRequest(
                $"{field} must be a vector as answers show it: {{\"model\": \"<model id>\", \"vector\": [<finite numbers>]}}");
        }

        var embedding = new Contracts.V1.Embedding { ModelId = view.Model };
        embedding.Values.AddRange(view.Vector);
        return embedding;
    }
}

/// <summary>One face of an analysed photo.</summary>
public sealed record AnalyzedFaceView(
    BoxView? Box,
    float Score,
    IReadOnlyList<LandmarkView>? Landmarks,
    QualityView? Quality,
    float? Age,
    GenderView? Gender,
    EmotionView? Emotion,
    LivenessView? Liveness,
    IReadOnlyList<MatchView>? Matches,
    bool? Unknown,
    EmbeddingView? Embedding,
    PoseView? Pose,
    AgeRangeView? AgeRange);

/// <summary>Every face of a photo.</summary>
public sealed record AnalyzeView(
    int ImageWidth,
    int ImageHeight,
    string ImageSha256,
    IReadOnlyList<string> ModelIds,
    IReadOnlyList<string> Warnings,
    IReadOnlyList<AnalyzedFaceView> Faces)
{
    internal static AnalyzeView From(AnalyzeResponse r, bool searched, bool landmarks) => new(
        r.ImageWidth, r.ImageHeight, r.ImageSha256, [.. r.ModelIds], [.. r.Warnings],
        r.Faces.Select(f => new AnalyzedFaceView(
            BoxView.From(f.Box),
            f.DetectionScore,
            landmarks ? f.Landmarks.Select(l => new LandmarkView(l.Name, l.X, l.Y)).ToList() : null,
            QualityView.From(f.Quality),
            f.Attributes?.HasAge == true ? f.Attributes.Age : null,
            f.Attributes?.Gender is { } g ? new GenderView(g.Label, g.Probability) : null,
            f.Attributes is { Emotions.Count: > 0 } a
                ? new EmotionView(a.Emotions[0].Label, a.Emotions.ToDictionary(e => e.Label, e => e.Score))
                : null,
            f.Attributes is { } live && (live.HasRealScore || live.HasLiveScore)
                ? new LivenessView(live.HasRealScore ? live.RealScore : null, live.HasLiveScore ? live.LiveScore : null)
                : null,
            searched ? f.Matches.Select(MatchView.From).ToList() : null,
            searched ? f.Unknown : null,
            f.Embedding is { } e ? new EmbeddingView(e.ModelId, [.. e.Values]) : null,
            PoseView.From(f.Pose),
            f.Attributes?.HasAge == true ? AgeRangeView.From(f.Attributes.AgeRange) : null)).ToList());
}

/// <summary>Same person or not, with the compared face of each photo (null for a side given otherwise).</summary>
public sealed record VerifyView(float Similarity, float Threshold, bool Match, string ModelId, BoxView? Box1, BoxView? Box2)
{
    internal static VerifyView From(VerifyResponse r) => new(r.Similarity, r.Threshold, r.Match, r.ModelId, BoxView.From(r.Box1), BoxView.From(r.Box2));
}

/// <summary>Body of <c>POST /v1/collections/{c}/subjects</c>.</summary>
/// <param name="ExternalId">Your id of the person, unique in the collection (generated when empty).</param>
/// <param name="DisplayName">A name to show.</param>
/// <param name="Metadata">Any JSON object.</param>
public sealed record CreateSubjectBody(string? ExternalId, string? DisplayName, JsonElement? Metadata);

/// <summary>Body of <c>PATCH /v1/collections/{c}/subjects/{s}</c>: the fields present are changed.</summary>
public sealed record UpdateSubjectBody(string? DisplayName, JsonElement? Metadata);

/// <summary>A known person of a collection.</summary>
public sealed record SubjectView(
    string Id, string CollectionId, string ExternalId, string DisplayName, JsonElement Metadata, long FaceCount, DateTimeOffset CreatedAt)
{
    internal static SubjectView From(Subject s) => new(
        s.Id, s.CollectionId, s.ExternalId, s.DisplayName,
        JsonDocument.Parse(s.Metadata is null ? "{}" : JsonFormatter.Default.Format(s.Metadata)).RootElement,
        s.FaceCount, s.CreatedAt?.ToDateTimeOffset() ?? default);
}

/// <summary>One page of subjects.</summary>
public sealed record SubjectPage(IReadOnlyList<SubjectView> Subjects, string? NextPageToken);

/// <summary>An enrolled face. No photo is stored; only its SHA-256.</summary>
public sealed record EnrolledFaceView(
    string Id, string SubjectId, float Quality, BoxView? Box, string ImageSha256, string ModelId, DateTimeOffset CreatedAt)
{
    internal static EnrolledFaceView From(EnrolledFace f) => new(
        f.Id, f.SubjectId, f.Quality, BoxView.From(f.Box), f.ImageSha256, f.ModelId, f.CreatedAt?.ToDateTimeOffset() ?? default);
}

/// <summary>A face of the photo that was left out, with every reason (too_small, blurry, not_frontal, low_confidence, not_largest).</summary>
public sealed record UnindexedFaceView(BoxView? Box, IReadOnlyList<string> Reasons)
{
    internal static UnindexedFaceView From(UnindexedFace f) => new(BoxView.From(f.Box), [.. f.Reasons]);
}

/// <summary>
/// What an enrolment stored; <paramref name="Duplicates"/> counts faces already enrolled, <paramref name="UnindexedFaces"/>
/// the photo's other faces with the reasons they were not enrolled.
/// </summary>
public sealed record EnrollView(IReadOnlyList<EnrolledFaceView> Faces, int Duplicates, IReadOnlyList<UnindexedFaceView> UnindexedFaces)
{
    internal static EnrollView From(EnrollResponse r) =>
        new(r.Faces.Select(EnrolledFaceView.From).ToList(), r.Duplicates, r.UnindexedFaces.Select(UnindexedFaceView.From).ToList());
}

/// <summary>One page of enrolled faces.</summary>
public sealed record FacePage(IReadOnlyList<EnrolledFaceView> Faces, string? NextPageToken);

/// <summary>A face of the searched photo with its best subjects, or unknown.</summary>
public sealed record SearchedFaceView(BoxView? Box, IReadOnlyList<MatchView> Matches, bool Unknown);

/// <summary>Search answer: one entry per searched face; the faces the quality filter left out, with their reasons.</summary>
public sealed record SearchView(float Threshold, IReadOnlyList<SearchedFaceView> Faces, IReadOnlyList<UnindexedFaceView> UnsearchedFaces)
{
    internal static SearchView From(SearchResponse r) => new(
        r.Threshold, r.Faces.Select(f => new SearchedFaceView(BoxView.From(f.Box), f.Matches.Select(MatchView.From).ToList(), f.Unknown)).ToList(),
        r.UnsearchedFaces.Select(UnindexedFaceView.From).ToList());
}

/// <summary>Outcome of one item of a batch enrolment.</summary>
public sealed record BatchItemView(int Index, string SubjectId, EnrollView? Result, ProblemView? Error);

/// <summary>A problem of one batch item, as problem details would say it.</summary>
public sealed record ProblemView(int Status, string Title, string Detail);

/// <summary>Outcome of a batch enrolment, item by item.</summary>
public sealed record BatchEnrollView(int Enrolled, int Failed, IReadOnlyList<BatchItemView> Items);

/// <summary>One photo of a batch analysis: its answer, or its own problem.</summary>
public sealed record BatchAnalyzeItemView(int Index, string FileName, AnalyzeView? Result, ProblemView? Error);

/// <summary>Outcome of a batch analysis, photo by photo, in request order.</summary>
public sealed record BatchAnalyzeView(int Succeeded, int Failed, IReadOnlyList<BatchAnalyzeItemView> Items);
