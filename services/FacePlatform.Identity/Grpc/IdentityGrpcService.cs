using System.Text.RegularExpressions;
using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using FacePlatform.Identity.Audit;
using FacePlatform.Identity.Keys;
using FacePlatform.Identity.Galleries;
using FacePlatform.Identity.Storage;
using FacePlatform.Identity.Validation;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace FacePlatform.Identity.Grpc;

/// <summary>
/// The gRPC face of the identity service. Every query is filtered by the tenant the gateway passes: a resource of
/// another tenant is indistinguishable from one that does not exist (NOT_FOUND).
/// </summary>
internal sealed partial class IdentityGrpcService(
    IdentityDbContext db,
    IGallerySearch search,
    GalleryReads reads,
    GalleryWrites writes,
    ReadRouting routing,
    AuditLog audit,
    IOptions<IdentityOptions> options,
    StoreLimits limits)
    : IdentityService.IdentityServiceBase
{
    /// <summary>The tenant the bootstrap admin key belongs to; its admin keys manage every tenant.</summary>
    public const string PlatformTenantName = "admin";

    [GeneratedRegex("^[A-Za-z0-9._-]{1,100}$")]
    private static partial Regex NamePattern();

    /// <summary>The form of a profile name (which names exist is the embedding service's to say; the gateway asks it).</summary>
    [GeneratedRegex("^[a-z0-9_-]{1,32}$")]
    private static partial Regex ProfilePattern();

    public override async Task<AuthenticateApiKeyResponse> AuthenticateApiKey(AuthenticateApiKeyRequest request, ServerCallContext context)
    {
        if (string.IsNullOrEmpty(request.Key))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "no API key was given"));
        }

        var hash = ApiKeys.Hash(request.Key);
        // From the read replica when there is one, so that keys keep authenticating while the primary is down; a key
        // the replica does not know yet (created a moment ago) is looked up on the primary.
        var key = await routing.ReadAsync(Guid.Empty, target => FindKeyAsync(target, hash, context.CancellationToken), context.CancellationToken);
        if (key is null && routing.Replica is not null)
        {
            key = await FindKeyAsync(routing.Primary, hash, context.CancellationToken);
        }

        if (key is null)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "the API key is unknown or revoked"));
        }

        var now = DateTimeOffset.UtcNow;
        if (key.ExpiresAt <= now)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "the API key has expired"));
        }

        if (key.SuspendedAt is not null)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"tenant '{key.TenantId}' is suspended"));
        }

        await TouchAsync(key.Id, key.LastUsedAt, now, context.CancellationToken);
        var platformAdmin = key.Tenant == PlatformTenantName;
        var response = new AuthenticateApiKeyResponse
        {
            TenantId = key.TenantId.ToString(),
            KeyId = key.Id.ToString(),
            PlatformAdmin = platformAdmin,
        };
        response.Scopes.AddRange(key.Scopes.Select(s => (Scope)s));
        return response;
    }

    private static async Task<ActiveKey?> FindKeyAsync(ReadTarget target, byte[] hash, CancellationToken cancellationToken)
    {
        await using var keys = target.Context();
        return await keys.ApiKeys
            .Where(k => k.Hash == hash && k.RevokedAt == null)
            .Join(keys.Tenants, k => k.TenantId, t => t.Id, (k, t) => new ActiveKey(k.Id, k.TenantId, k.Scopes, k.ExpiresAt, k.LastUsedAt, t.Name, t.SuspendedAt))
            .FirstOrDefaultAsync(cancellationToken);
    }

    private sealed record ActiveKey(
        Guid Id, Guid TenantId, int[] Scopes, DateTimeOffset? ExpiresAt, DateTimeOffset? LastUsedAt, string Tenant, DateTimeOffset? SuspendedAt);

    public override async Task<Tenant> CreateTenant(CreateTenantRequest request, ServerCallContext context)
    {
        RequireName(request.Name, "tenant name");
        var tenant = new TenantEntity { Id = Guid.CreateVersion7(), Name = request.Name, CreatedAt = DateTimeOffset.UtcNow };
        db.Tenants.Add(tenant);
        await db.SaveChangesAsync(context.CancellationToken);
        return ToMessage(tenant);
    }

    public override async Task<ListTenantsResponse> ListTenants(ListTenantsRequest request, ServerCallContext context)
    {
        var size = Paging.Size(request.Page);
        var after = Paging.After(request.Page);
        var tenants = await db.Tenants.AsNoTracking()
            .Where(t => after == null || t.Id > after)
            .OrderBy(t => t.Id)
            .Take(size + 1)
            .ToListAsync(context.CancellationToken);
        var response = new ListTenantsResponse { Page = Paging.Next(tenants, size, t => t.Id) };
        response.Tenants.AddRange(tenants.Select(ToMessage));
        return response;
    }

    public override async Task<CreateApiKeyResponse> CreateApiKey(CreateApiKeyRequest request, ServerCallContext context)
    {
        var tenantId = Ids.Parse(request.TenantId, "tenant");
        if (!await db.Tenants.AnyAsync(t => t.Id == tenantId, context.CancellationToken))
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"tenant '{request.TenantId}' was not found"));
        }

        if (request.Scopes.Count == 0 || request.Scopes.Any(s => s == Scope.Unspecified || !System.Enum.IsDefined(s)))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "scopes must name at least one of read, write, admin"));
        }

        limits.KeyName(request.Name);
        var expiresAt = request.ExpiresAt?.ToDateTimeOffset();
        if (expiresAt <= DateTimeOffset.UtcNow)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "expires_at must be in the future"));
        }

        var secret = ApiKeys.NewKey();
        var key = new ApiKeyEntity
        {
            Id = Guid.CreateVersion7(),
            TenantId = tenantId,
            Name = string.IsNullOrWhiteSpace(request.Name) ? "unnamed" : request.Name,
            Prefix = ApiKeys.VisiblePrefix(secret),
            Hash = ApiKeys.Hash(secret),
            Scopes = request.Scopes.Select(s => (int)s).Distinct().ToArray(),
            CreatedAt = DateTimeOffset.UtcNow,
            ExpiresAt = expiresAt,
        };
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync(context.CancellationToken);
        return new CreateApiKeyResponse { ApiKey = ToMessage(key), Key = secret };
    }

    public override async Task<ListApiKeysResponse> ListApiKeys(ListApiKeysRequest request, ServerCallContext context)
    {
        var tenantId = Ids.Parse(request.TenantId, "tenant");
        var size = Paging.Size(request.Page);
        var after = Paging.After(request.Page);
        var keys = await db.ApiKeys.AsNoTracking()
            .Where(k => k.TenantId == tenantId && (after == null || k.Id > after))
            .OrderBy(k => k.Id)
            .Take(size + 1)
            .ToListAsync(context.CancellationToken);
        var response = new ListApiKeysResponse { Page = Paging.Next(keys, size, k => k.Id) };
        response.ApiKeys.AddRange(keys.Select(ToMessage));
        return response;
    }

    public override async Task<ApiKey> RevokeApiKey(RevokeApiKeyRequest request, ServerCallContext context)
    {
        var tenantId = Ids.Parse(request.TenantId, "tenant");
        var keyId = Ids.Parse(request.KeyId, "API key");
        var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == keyId && k.TenantId == tenantId, context.CancellationToken)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"API key '{request.KeyId}' was not found"));
        key.RevokedAt ??= DateTimeOffset.UtcNow;
        await db.SaveChangesAsync(context.CancellationToken);
        return ToMessage(key);
    }

    public override async Task<Collection> CreateCollection(CreateCollectionRequest request, ServerCallContext context)
    {
        var tenantId = Ids.Tenant(request.TenantId);
        RequireName(request.Name, "collection name");
        limits.Description(request.Description);
        StoreLimits.ModelId(request.ModelId);

        var (modelId, dimension) = ResolveModel(request.ModelId, request.Dimension);
        if (request.FalseAcceptRate != 0 && !ThresholdCalibration.IsValidRate(request.FalseAcceptRate))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"false_accept_rate is the chance per search that a stranger matches someone: a number in (0, {ThresholdCalibration.MaxFalseAcceptRate}], or 0 for the platform's default"));
        }

        if (request.Profile.Length > 0 && !ProfilePattern().IsMatch(request.Profile))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                "profile must be empty (the platform's default) or the name of an inference profile: 1-32 characters of a-z, 0-9, '-' and '_'"));
        }

        return ToMessage(await writes.CreateCollectionAsync(
            tenantId, request.Name, request.Description, modelId, dimension,
            request.FalseAcceptRate != 0 ? request.FalseAcceptRate : null,
            request.Profile.Length > 0 ? request.Profile : null, context.CancellationToken));
    }

    public override async Task<Collection> GetCollection(GetCollectionRequest request, ServerCallContext context)
    {
        var tenantId = Ids.Tenant(request.TenantId);
        var collectionId = Ids.Parse(request.CollectionId, "collection");
        return ToMessage(await reads.GetCollectionAsync(tenantId, collectionId, context.CancellationToken)
            ?? throw CollectionNotFound(request.CollectionId));
    }

    public override async Task<ListCollectionsResponse> ListCollections(ListCollectionsRequest request, ServerCallContext context)
    {
        var tenantId = Ids.Tenant(request.TenantId);
        var size = Paging.Size(request.Page);
        var page = await reads.ListCollectionsAsync(tenantId, Paging.After(request.Page), size + 1, context.CancellationToken);
        var response = new ListCollectionsResponse { Page = Paging.Next(page, size, c => c.Id) };
        response.Collections.AddRange(page.Select(ToMessage));
        return response;
    }

    public override async Task<Collection> UpdateCollection(UpdateCollectionRequest request, ServerCallContext context)
    {
        var tenantId = Ids.Tenant(request.TenantId);
        var collectionId = Ids.Parse(request.CollectionId, "collection");
        var paths = request.UpdateMask?.Paths ?? [];
        if (paths.Count == 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "update_mask must name at least one of: name, description"));
        }

        string? name = null;
        string? description = null;
        foreach (var path in paths)
        {
            switch (path)
            {
                case "name":
                    RequireName(request.Name, "collection name");
                    name = request.Name;
                    break;
                case "description":
                    limits.Description(request.Description);
                    description = request.Description;
                    break;
                default:
                    throw new RpcException(new Status(StatusCode.InvalidArgument, $"'{path}' cannot be updated; use name or description"));
            }
        }

        return ToMessage(await writes.UpdateCollectionAsync(tenantId, collectionId, name, description, context.CancellationToken)
            ?? throw CollectionNotFound(request.CollectionId));
    }

    public override async Task<DeleteResponse> DeleteCollection(DeleteCollectionRequest request, ServerCallContext context)
    {
        var tenantId = Ids.Tenant(request.TenantId);
        var collectionId = Ids.Parse(request.CollectionId, "collection");
        var (subjects, faces) = await writes.DeleteCollectionAsync(tenantId, collectionId, context.CancellationToken)
            ?? throw CollectionNotFound(request.CollectionId);
        return new DeleteResponse { DeletedSubjects = subjects, DeletedFaces = faces };
    }

    private (string ModelId, int Dimension) ResolveModel(string modelId, int dimension)
    {
        var defaults = options.Value;
        if (string.IsNullOrEmpty(modelId) || modelId == defaults.DefaultModelId)
        {
            if (dimension != 0 && dimension != defaults.DefaultDimension)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument,
                    $"model '{defaults.DefaultModelId}' makes {defaults.DefaultDimension}-d vectors, not {dimension}-d"));
            }

            return (defaults.DefaultModelId, defaults.DefaultDimension);
        }

        if (dimension is <= 0 or > IdentityDbContext.EmbeddingColumnDimension)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"dimension must be between 1 and {IdentityDbContext.EmbeddingColumnDimension} for model '{modelId}'"));
        }

        return (modelId, dimension);
    }

    private static void RequireName(string name, string what)
    {
        if (!NamePattern().IsMatch(name))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"{what} must be 1-100 characters of letters, digits, '.', '_' and '-'"));
        }
    }

    private static RpcException CollectionNotFound(string id) =>
        new(new Status(StatusCode.NotFound, $"collection '{id}' was not found"));

    private static Tenant ToMessage(TenantEntity tenant) => new()
    {
        Id = tenant.Id.ToString(),
        Name = tenant.Name,
        CreatedAt = Timestamp.FromDateTimeOffset(tenant.CreatedAt),
        State = tenant.SuspendedAt is null ? TenantState.Active : TenantState.Suspended,
        SuspendedAt = tenant.SuspendedAt is { } suspended ? Timestamp.FromDateTimeOffset(suspended) : null,
    };

    private static ApiKey ToMessage(ApiKeyEntity key)
    {
        var message = new ApiKey
        {
            Id = key.Id.ToString(),
            TenantId = key.TenantId.ToString(),
            Name = key.Name,
            Prefix = key.Prefix,
            CreatedAt = Timestamp.FromDateTimeOffset(key.CreatedAt),
            RevokedAt = key.RevokedAt is { } revoked ? Timestamp.FromDateTimeOffset(revoked) : null,
            ExpiresAt = key.ExpiresAt is { } expires ? Timestamp.FromDateTimeOffset(expires) : null,
            LastUsedAt = key.LastUsedAt is { } used ? Timestamp.FromDateTimeOffset(used) : null,
        };
        message.Scopes.AddRange(key.Scopes.Select(s => (Scope)s));
        return message;
    }

    private static Collection ToMessage(CollectionEntity collection) => new()
    {
        Id = collection.Id.ToString(),
        Name = collection.Name,
        Description = collection.Description,
        ModelId = collection.ModelId,
        Dimension = collection.Dimension,
        SubjectCount = collection.SubjectCount,
        FaceCount = collection.FaceCount,
        CreatedAt = Timestamp.FromDateTimeOffset(collection.CreatedAt),
        Version = collection.Version,
        FalseAcceptRate = collection.FalseAcceptRate ?? 0,
        Profile = collection.Profile ?? string.Empty,
    };
}
