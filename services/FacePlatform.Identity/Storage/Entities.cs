using System.Collections;
using Pgvector;

namespace FacePlatform.Identity.Storage;

/// <summary>An organisation using the platform; everything else belongs to exactly one tenant.</summary>
internal sealed class TenantEntity
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>Set while the tenant is suspended: its keys are refused, its data kept.</summary>
    public DateTimeOffset? SuspendedAt { get; set; }
}

/// <summary>An API key. Only the SHA-256 of the secret is stored, never the secret.</summary>
internal sealed class ApiKeyEntity
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public required string Name { get; set; }
    /// <summary>The first characters of the key, shown in listings so people can recognise their keys.</summary>
    public required string Prefix { get; set; }
    public required byte[] Hash { get; set; }
    /// <summary>Values of <c>faceplatform.v1.Scope</c>.</summary>
    public required int[] Scopes { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    /// <summary>After this time the key is refused like a revoked one; null = no expiry.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }
    /// <summary>Last authentication, written at most once a minute per key (<see cref="Keys.ApiKeys.LastUsedResolution"/>).</summary>
    public DateTimeOffset? LastUsedAt { get; set; }
}

/// <summary>A gallery, bound to one embedding model and its dimension.</summary>
internal sealed class CollectionEntity
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public required string Name { get; set; }
    public string Description { get; set; } = string.Empty;
    public required string ModelId { get; set; }
    public int Dimension { get; set; }
    /// <summary>
    /// Length of the SimHash codes of the collection's faces (<see cref="Search.SimHash"/>), fixed at creation from
    /// <c>Identity:CodeBits</c>: the partition's HNSW index is built on <c>code::bit(CodeBits)</c>.
    /// </summary>
    public int CodeBits { get; set; }
    /// <summary>Bumped by every change of the contents; cached search answers are keyed by it.</summary>
    public long Version { get; set; }
    /// <summary>Kept by the transactions that add or remove subjects, so counting never scans a large gallery.</summary>
    public long SubjectCount { get; set; }
    /// <summary>Kept by the transactions that add or remove faces.</summary>
    public long FaceCount { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>
    /// Per-search false-accept rate the gateway turns into the default search threshold (with the gallery's size and
    /// the recogniser's calibration); null for the platform's default.
    /// </summary>
    public double? FalseAcceptRate { get; set; }
    /// <summary>
    /// Named inference profile of requests on the collection that name none (the gateway checked that the embedding
    /// service knows it); null for the platform's default.
    /// </summary>
    public string? Profile { get; set; }
}

/// <summary>A known person of a collection.</summary>
internal sealed class SubjectEntity
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public Guid CollectionId { get; set; }
    public required string ExternalId { get; set; }
    public string DisplayName { get; set; } = string.Empty;
    /// <summary>The caller's metadata as a JSON object (jsonb).</summary>
    public string Metadata { get; set; } = "{}";
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>One enrolled face: its vector and where it came from. No photo is stored.</summary>
internal sealed class FaceEntity
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public Guid CollectionId { get; set; }
    public Guid SubjectId { get; set; }
    public required string ModelId { get; set; }
    /// <summary>
    /// The L2-normalised embedding in half precision, exactly as long as the collection's dimension. The column is a
    /// plain <c>halfvec</c> without a declared dimension: each collection's partition carries its own HNSW index on
    /// <c>embedding::halfvec(dimension)</c> (see <see cref="FacePartitions"/>), so a 512-d model costs 1 KB a row, not
    /// a zero-padded 2 KB.
    /// </summary>
    public required HalfVector Embedding { get; set; }
    /// <summary>
    /// SimHash code of the stored embedding (<c>bit varying</c>, <see cref="CollectionEntity.CodeBits"/> long): the
    /// partition's HNSW index on it picks the candidates that search re-ranks by the exact cosine of
    /// <see cref="Embedding"/>. Null only until the service back-fills faces stored before codes existed.
    /// </summary>
    public BitArray? Code { get; set; }
    public float Quality { get; set; }
    public float BoxX { get; set; }
    public float BoxY { get; set; }
    public float BoxWidth { get; set; }
    public float BoxHeight { get; set; }
    public string ImageSha256 { get; set; } = string.Empty;
    public string? RequestId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// One entry of a tenant's audit log: who (key and its tenant), what (action, resource ids), when, from where (the
/// client address the gateway saw) and the outcome. Never photos, vectors or metadata. No foreign key to the tenant:
/// the record of a tenant's deletion outlives the tenant (it is kept in the log of the deleting platform admin's tenant).
/// </summary>
internal sealed class AuditEventEntity
{
    /// <summary>Version 7 (time-ordered): the newest-first pages walk it backwards.</summary>
    public Guid Id { get; set; }
    /// <summary>The tenant whose log holds the event.</summary>
    public Guid TenantId { get; set; }
    public required string Action { get; set; }
    public Guid? ActorKeyId { get; set; }
    public Guid? ActorTenantId { get; set; }
    /// <summary>Path of ids, e.g. <c>collections/{c}/subjects/{s}</c>.</summary>
    public string Resource { get; set; } = string.Empty;
    public string ClientAddress { get; set; } = string.Empty;
    /// <summary><c>OK</c> or the gRPC status code name of the failure.</summary>
    public required string Outcome { get; set; }
    public DateTimeOffset OccurredAt { get; set; }
}
