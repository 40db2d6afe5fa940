using FacePlatform.Contracts.Face.V1;
using FacePlatform.Contracts.V1;
using Internal = FacePlatform.Contracts.Internal.V1;

namespace FacePlatform.Gateway.Grpc;

/// <summary>
/// The one place where answers of the internal contracts (identity's, and the gateway's own analyses) become messages
/// of the public contract <c>faceplatform.face.v1</c>. The public contract has its own request and response per RPC
/// (docs/contracts.md), so the internal ones can change with the services while the public one stays as released;
/// resources and value types (Collection, Subject, Tenant, Box, ...) are the shared public package
/// <c>faceplatform.v1</c> and pass through unchanged.
/// </summary>
internal static class PublicContract
{
    public static CreateCollectionResponse Created(Collection collection) => new() { Collection = collection };

    public static GetCollectionResponse Got(Collection collection) => new() { Collection = collection };

    public static ListCollectionsResponse Listed(Internal.ListCollectionsResponse page) =>
        new() { Collections = { page.Collections }, Page = page.Page };

    public static DeleteCollectionResponse CollectionDeleted(Internal.DeleteResponse deleted) =>
        new() { DeletedSubjects = deleted.DeletedSubjects, DeletedFaces = deleted.DeletedFaces };

    public static CreateSubjectResponse Created(Subject subject) => new() { Subject = subject };

    public static GetSubjectResponse Got(Subject subject) => new() { Subject = subject };

    public static UpdateSubjectResponse Updated(Subject subject) => new() { Subject = subject };

    public static ListSubjectsResponse Listed(Internal.ListSubjectsResponse page) =>
        new() { Subjects = { page.Subjects }, Page = page.Page };

    public static DeleteSubjectResponse SubjectDeleted(Internal.DeleteResponse deleted) =>
        new() { DeletedSubjects = deleted.DeletedSubjects, DeletedFaces = deleted.DeletedFaces };

    public static EnrollFaceResponse Enrolled(Internal.EnrollResponse enrolled) => new()
    {
        Faces = { enrolled.Faces },
        Duplicates = enrolled.Duplicates,
        UnindexedFaces = { enrolled.UnindexedFaces },
    };

    public static DeleteFaceResponse FaceDeleted(Internal.DeleteResponse deleted) =>
        new() { DeletedSubjects = deleted.DeletedSubjects, DeletedFaces = deleted.DeletedFaces };

    /// <summary>A detection is an analysis without attributes, matches or embeddings: the same fields.</summary>
    public static DetectFacesResponse Detected(AnalyzeResponse analysis) => new()
    {
        Faces = { analysis.Faces },
        ImageWidth = analysis.ImageWidth,
        ImageHeight = analysis.ImageHeight,
        ModelIds = { analysis.ModelIds },
        Warnings = { analysis.Warnings },
        ImageSha256 = analysis.ImageSha256,
    };

    public static SuspendTenantResponse Suspended(Tenant tenant) => new() { Tenant = tenant };

    public static ResumeTenantResponse Resumed(Tenant tenant) => new() { Tenant = tenant };

    public static DeleteTenantResponse TenantDeleted(Internal.DeleteTenantResponse deleted) => new()
    {
        DeletedCollections = deleted.DeletedCollections,
        DeletedSubjects = deleted.DeletedSubjects,
        DeletedFaces = deleted.DeletedFaces,
        DeletedApiKeys = deleted.DeletedApiKeys,
        DeletedAuditEvents = deleted.DeletedAuditEvents,
        DeletedCacheEntries = deleted.DeletedCacheEntries,
    };

    public static ListAuditEventsResponse Listed(Internal.ListAuditEventsResponse page) =>
        new() { Events = { page.Events }, Page = page.Page };
}
