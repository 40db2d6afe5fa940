using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using Grpc.Core;

namespace FacePlatform.Gateway.Rest;

// REST shapes of the public API. They exist beside the proto messages for one reason: the JSON and OpenAPI schema of
// the REST API (camelCase, ISO timestamps, plain numbers), which the protobuf types do not describe to OpenAPI.

/// <summary>Body of <c>POST /v1/collections</c>.</summary>
/// <param name="Name">1–100 characters: letters, digits, '.', '_' and '-'; unique per tenant.</param>
/// <param name="Description">Free text, at most 1000 characters.</param>
/// <param name="ModelId">Embedding model of the collection; empty for the platform's default recogniser.</param>
/// <param name="Dimension">Dimension of the model's vectors; needed only for a model other than the default.</param>
/// <param name="FalseAcceptRate">Chance that a search of a never-enrolled face matches someone, per search, in (0, 0.5];
/// the default search threshold follows from it and the gallery's size. Empty for the platform's default (0.01).</param>
/// <param name="Profile">Inference profile (<c>accurate</c>, <c>fast</c>) of requests on the collection that name none;
/// empty for the platform's default. Without <c>modelId</c>, a profile's recogniser becomes the collection's
/// (<c>fast</c>: <c>faceres-int8</c>); an unknown name is 400.</param>
public sealed record CreateCollectionBody(
    string Name, string? Description = null, string? ModelId = null, int? Dimension = null, double? FalseAcceptRate = null, string? Profile = null);

/// <summary>A gallery of subjects, bound to one embedding model.</summary>
public sealed record CollectionView(
    string Id,
    string Name,
    string Description,
    string ModelId,
    int Dimension,
    long SubjectCount,
    long FaceCount,
    long Version,
    DateTimeOffset CreatedAt,
    double? FalseAcceptRate = null,
    string? Profile = null)
{
    internal static CollectionView From(Collection c) => new(
        c.Id, c.Name, c.Description, c.ModelId, c.Dimension, c.SubjectCount, c.FaceCount, c.Version,
        c.CreatedAt.ToDateTimeOffset(), c.FalseAcceptRate > 0 ? c.FalseAcceptRate : null, c.Profile.Length > 0 ? c.Profile : null);
}

/// <summary>One page of collections.</summary>
/// <param name="Collections">The page, oldest first.</param>
/// <param name="NextPageToken">Pass as <c>pageToken</c> for the next page; null on the last page.</param>
public sealed record CollectionPage(IReadOnlyList<CollectionView> Collections, string? NextPageToken);

/// <summary>What a delete removed, cascades included.</summary>
public sealed record DeleteResult(long DeletedSubjects, long DeletedFaces)
{
    internal static DeleteResult From(DeleteResponse r) => new(r.DeletedSubjects, r.DeletedFaces);
}

/// <summary>Body of <c>POST /v1/admin/tenants</c>.</summary>
public sealed record CreateTenantBody(string Name);

/// <summary>A tenant.</summary>
/// <param name="Id">The tenant's id.</param>
/// <param name="Name">Its unique name.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="State">"active", or "suspended": every key of the tenant is refused, its data kept.</param>
/// <param name="SuspendedAt">When it was suspended; null while active.</param>
public sealed record TenantView(string Id, string Name, DateTimeOffset CreatedAt, string State, DateTimeOffset? SuspendedAt)
{
    internal static TenantView From(Tenant t) => new(t.Id, t.Name, t.CreatedAt.ToDateTimeOffset(),
        t.State == TenantState.Suspended ? "suspended" : "active", t.SuspendedAt?.ToDateTimeOffset());
}

/// <summary>Body of <c>POST /v1/admin/tenants/{tenantId}/keys</c>.</summary>
/// <param name="Name">A label for the key.</param>
/// <param name="Scopes">Any of "read", "write", "admin".</param>
/// <param name="ExpiresAt">Optional expiry, in the future; after it the key is refused like a revoked one.</param>
public sealed record CreateApiKeyBody(string? Name, IReadOnlyList<string> Scopes, DateTimeOffset? ExpiresAt = null);

/// <summary>An API key as listed; the secret itself is never shown again.</summary>
/// <param name="Id">The key's id (not the secret).</param>
/// <param name="TenantId">The tenant it belongs to.</param>
/// <param name="Name">Its label.</param>
/// <param name="Scopes">Any of "read", "write", "admin".</param>
/// <param name="Prefix">The first characters of the key, to recognise it.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="RevokedAt">When it was revoked; null while valid.</param>
/// <param name="ExpiresAt">After this time the key is refused; null = no expiry.</param>
/// <param name="LastUsedAt">When the key last authenticated a call, to the minute; null = never.</param>
public sealed record ApiKeyView(string Id, string TenantId, string Name, IReadOnlyList<string> Scopes, string Prefix,
    DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? LastUsedAt)
{
    internal static ApiKeyView From(ApiKey k) => new(
        k.Id, k.TenantId, k.Name, k.Scopes.Select(ScopeNames.ToName).ToList(), k.Prefix, k.CreatedAt.ToDateTimeOffset(),
        k.RevokedAt?.ToDateTimeOffset(), k.ExpiresAt?.ToDateTimeOffset(), k.LastUsedAt?.ToDateTimeOffset());
}

/// <summary>A new API key: <paramref name="Key"/> is shown this once.</summary>
public sealed record CreatedApiKey(ApiKeyView ApiKey, string Key);

/// <summary>The REST names of scopes.</summary>
internal static class ScopeNames
{
    public static string ToName(Scope scope) => scope switch
    {
        Scope.Read => "read",
        Scope.Write => "write",
        Scope.Admin => "admin",
        _ => "unspecified",
    };

    public static Scope Parse(string? name) => name?.ToLowerInvariant() switch
    {
        "read" => Scope.Read,
        "write" => Scope.Write,
        "admin" => Scope.Admin,
        _ => throw new RpcException(new Status(StatusCode.InvalidArgument,
            $"unknown scope '{name}'; use read, write or admin")),
    };
}
