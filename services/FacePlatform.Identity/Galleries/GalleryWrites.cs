using FacePlatform.Contracts.V1;
using FacePlatform.Identity.Caching;
using FacePlatform.Identity.Search;
using FacePlatform.Identity.Storage;
using FacePlatform.Identity.Telemetry;
using FacePlatform.Identity.Validation;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FacePlatform.Identity.Galleries;

/// <summary>A checked face of an Enroll request (its photo hash already validated).</summary>
internal sealed record FaceInput(Embedding Embedding, float Quality, Box Box, string ImageSha256);

/// <summary>What deleting a tenant removed.</summary>
internal sealed record DeletedTenant(int Collections, int Subjects, long Faces, int ApiKeys, int AuditEvents, long CacheEntries);

/// <summary>
/// Every change to a gallery, in one place and one order: the write on the primary (its transaction raises the
/// collection version through <see cref="GalleryStore.BumpVersionAsync"/>, the only place that does), then the in-memory
/// copies (<see cref="CodeScans"/>, <see cref="CodeIndexes"/>), then the cache (<see cref="GalleryCache"/>), then the
/// read-your-writes mark (<see cref="ReadRouting"/>) so that the writer's next read sees the write.
/// </summary>
internal sealed class GalleryWrites(
    IdentityDbContext db,
    GalleryStore store,
    CodeScans scans,
    CodeIndexes indexes,
    GalleryCache cache,
    ReadRouting routing,
    TenantQuotas quotas,
    IdentityTelemetry telemetry,
    IOptions<IdentityOptions> options)
{
    /// <summary>Creates a collection and its partition (and code index when <c>Identity:HnswM</c> is set).</summary>
    public async Task<CollectionEntity> CreateCollectionAsync(
        Guid tenant, string name, string description, string modelId, int dimension, double? falseAcceptRate, string? profile,
        CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var collection = new CollectionEntity
        {
            Id = Guid.CreateVersion7(),
            TenantId = tenant,
            Name = name,
            Description = description,
            ModelId = modelId,
            Dimension = dimension,
            FalseAcceptRate = falseAcceptRate,
            Profile = profile,
            CodeBits = settings.CodeBits,
            Version = 1,
            CreatedAt = DateTimeOffset.UtcNow,
        };
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await CheckQuotaAsync(tenant, new QuotaUse(Collections: 1), cancellationToken);
        db.Collections.Add(collection);
        await db.SaveChangesAsync(cancellationToken);
        await db.Database.ExecuteSqlAsync(
            FacePartitions.Create(collection.Id, collection.CodeBits, settings.HnswM, Math.Max(settings.HnswEfConstruction, 2 * settings.HnswM)),
            cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await routing.WroteAsync([tenant, collection.Id], cancellationToken);
        return collection;
    }

    /// <summary>Renames or re-describes a collection (null leaves a field); null when it is not the tenant's.</summary>
    public async Task<CollectionEntity?> UpdateCollectionAsync(
        Guid tenant, Guid collectionId, string? name, string? description, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var collection = await db.Collections.FirstOrDefaultAsync(c => c.Id == collectionId && c.TenantId == tenant, cancellationToken);
        if (collection is null)
        {
            return null;
        }

        collection.Name = name ?? collection.Name;
        collection.Description = description ?? collection.Description;
        await db.SaveChangesAsync(cancellationToken);
        var version = await BumpAsync(tenant, collectionId, subjects: 0, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await AfterWriteAsync(tenant, collectionId, version!.Value, removedFaces: [], cancellationToken);
        await db.Entry(collection).ReloadAsync(cancellationToken);
        return collection;
    }

    /// <summary>Deletes a collection with its partition; (subjects, faces) it held, or null when it is not the tenant's.</summary>
    public async Task<(long Subjects, long Faces)?> DeleteCollectionAsync(Guid tenant, Guid collectionId, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var collection = await db.Collections
            .FromSql($"SELECT * FROM collections WHERE \"Id\" = {collectionId} AND \"TenantId\" = {tenant} FOR UPDATE")
            .AsNoTracking()
            .FirstOrDefaultAsync(cancellationToken);
        if (collection is null)
        {
            return null;
        }

        // Dropping the partition removes every vector of the collection at once, however many there are.
#pragma warning disable EF1002 // The partition name is built from a Guid's hex digits only.
        await db.Database.ExecuteSqlRawAsync(FacePartitions.Drop(collectionId), cancellationToken);
#pragma warning restore EF1002
        await db.Subjects.Where(s => s.CollectionId == collectionId).ExecuteDeleteAsync(cancellationToken);
        await db.Collections.Where(c => c.Id == collectionId).ExecuteDeleteAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Forget(collectionId);
        await cache.InvalidateAsync(collectionId, long.MaxValue);
        await routing.WroteAsync([tenant, collectionId], cancellationToken);
        return (collection.SubjectCount, collection.FaceCount);
    }

    /// <summary>Creates a subject; NOT_FOUND when the collection is not the tenant's.</summary>
    public async Task<SubjectEntity> CreateSubjectAsync(
        Guid tenant, Guid collection, string externalId, string displayName, string metadata, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await CheckQuotaAsync(tenant, new QuotaUse(Subjects: 1, MetadataBytes: MetadataBytes(metadata)), cancellationToken);
        var version = await BumpAsync(tenant, collection, subjects: 1, cancellationToken) ?? throw CollectionNotFound(collection);
        var subject = new SubjectEntity
        {
            Id = Guid.CreateVersion7(),
            TenantId = tenant,
            CollectionId = collection,
            ExternalId = externalId,
            DisplayName = displayName,
            Metadata = metadata,
            CreatedAt = DateTimeOffset.UtcNow,
        };
        db.Subjects.Add(subject);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await AfterWriteAsync(tenant, collection, version, removedFaces: [], cancellationToken);
        return subject;
    }

    /// <summary>
    /// Changes a subject's display name and/or metadata (null leaves a field; metadata already checked); the subject
    /// with its face count, or null when it is not in the tenant's collection.
    /// </summary>
    public async Task<SubjectWithFaces?> UpdateSubjectAsync(
        Guid tenant, Guid collection, Guid subjectId, string? displayName, string? metadata, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var subject = await db.Subjects.FirstOrDefaultAsync(
            s => s.Id == subjectId && s.CollectionId == collection && s.TenantId == tenant, cancellationToken);
        if (subject is null)
        {
            return null;
        }

        subject.DisplayName = displayName ?? subject.DisplayName;
        if (metadata is not null)
        {
            subject.Metadata = metadata;
            await CheckQuotaAsync(tenant, new QuotaUse(MetadataBytes: MetadataBytes(metadata), MetadataOf: subjectId), cancellationToken);
        }

        await db.SaveChangesAsync(cancellationToken);
        var version = await BumpAsync(tenant, collection, subjects: 0, cancellationToken) ?? throw CollectionNotFound(collection);
        await transaction.CommitAsync(cancellationToken);
        await AfterWriteAsync(tenant, collection, version, removedFaces: [], cancellationToken);
        var faces = await db.Faces.LongCountAsync(f => f.CollectionId == collection && f.SubjectId == subjectId, cancellationToken);
        return new SubjectWithFaces(subject, faces);
    }

    /// <summary>Deletes a subject and its faces; how many faces went, or null when it is not in the tenant's collection.</summary>
    public async Task<int?> DeleteSubjectAsync(Guid tenant, Guid collection, Guid subject, CancellationToken cancellationToken)
    {
        if (await store.DeleteSubjectAsync(tenant, collection, subject, cancellationToken) is not var (faces, version))
        {
            return null;
        }

        await AfterWriteAsync(tenant, collection, version, faces, cancellationToken);
        return faces.Count;
    }

    /// <summary>Deletes one face; false when it is not in the tenant's collection.</summary>
    public async Task<bool> DeleteFaceAsync(Guid tenant, Guid collection, Guid face, CancellationToken cancellationToken)
    {
        if (await store.DeleteFaceAsync(tenant, collection, face, cancellationToken) is not { } version)
        {
            return false;
        }

        await AfterWriteAsync(tenant, collection, version, [face], cancellationToken);
        return true;
    }

    /// <summary>
    /// Adds faces to a subject (duplicates and replays skipped, <see cref="GalleryStore.EnrollAsync"/>); NOT_FOUND when
    /// the collection is not the tenant's or the subject not in it.
    /// </summary>
    public async Task<EnrollOutcome> EnrollAsync(
        Guid tenant, Guid collectionId, Guid subject, string requestId, IReadOnlyList<FaceInput> faces, CancellationToken cancellationToken)
    {
        var collection = await store.FindCollectionAsync(tenant, collectionId, cancellationToken) ?? throw CollectionNotFound(collectionId);
        var hash = collection.Hash;
        var toStore = faces.Select(face =>
        {
            var embedding = Embeddings.ToStored(face.Embedding, collection.ModelId, collection.Dimension);
            return new FaceToStore(embedding, hash.Code(embedding.Memory.Span), face.Quality,
                face.Box.X, face.Box.Y, face.Box.Width, face.Box.Height, face.ImageSha256);
        }).ToList();
        var outcome = await store.EnrollAsync(tenant, collection, subject, requestId, toStore, cancellationToken)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"subject '{subject}' was not found"));
        telemetry.FacesEnrolled(outcome.Added, outcome.Duplicates);
        if (outcome.Added > 0)
        {
            // The in-memory copy catches up at its next search (it compares versions); nothing to remove.
            await AfterWriteAsync(tenant, collectionId, outcome.Version, removedFaces: [], cancellationToken);
        }

        return outcome;
    }

    /// <summary>
    /// Deletes a tenant with its keys, collections, subjects, faces and audit log, and every cached answer; null when
    /// there is no such tenant. <paramref name="refuse"/> is called with the tenant's row first (the platform tenant is refused).
    /// </summary>
    public async Task<DeletedTenant?> DeleteTenantAsync(Guid tenantId, Action<TenantEntity> refuse, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // The row lock makes a concurrent CreateCollection of the tenant wait (its foreign key check needs the row),
        // then fail: no collection is created that this deletion does not see.
        var tenant = await db.Tenants
            .FromSql($"SELECT * FROM tenants WHERE \"Id\" = {tenantId} FOR UPDATE")
            .AsNoTracking()
            .FirstOrDefaultAsync(cancellationToken);
        if (tenant is null)
        {
            return null;
        }

        refuse(tenant);
        var collections = await db.Collections.AsNoTracking().Where(c => c.TenantId == tenantId)
            .Select(c => new { c.Id, c.SubjectCount, c.FaceCount })
            .ToListAsync(cancellationToken);
        foreach (var collection in collections)
        {
#pragma warning disable EF1002 // The partition name is built from a Guid's hex digits only.
            await db.Database.ExecuteSqlRawAsync(FacePartitions.Drop(collection.Id), cancellationToken);
#pragma warning restore EF1002
        }

        var subjects = await db.Subjects.Where(s => s.TenantId == tenantId).ExecuteDeleteAsync(cancellationToken);
        await db.Collections.Where(c => c.TenantId == tenantId).ExecuteDeleteAsync(cancellationToken);
        var keys = await db.ApiKeys.Where(k => k.TenantId == tenantId).ExecuteDeleteAsync(cancellationToken);
        // Privacy by default: the tenant's log goes with its data. The record of this deletion is written afterwards
        // to the log of the deleting key's tenant (the platform's) by the audit interceptor.
        var events = await db.AuditEvents.Where(a => a.TenantId == tenantId).ExecuteDeleteAsync(cancellationToken);
        await db.Tenants.Where(t => t.Id == tenantId).ExecuteDeleteAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        foreach (var collection in collections)
        {
            Forget(collection.Id);
        }

        var cached = await cache.ForgetTenantAsync(tenantId, collections.Select(c => c.Id).ToList());
        await routing.WroteAsync([tenantId, .. collections.Select(c => c.Id)], cancellationToken);
        return new DeletedTenant(collections.Count, subjects, collections.Sum(c => c.FaceCount), keys, events, cached);
    }

    /// <summary>What follows every committed gallery write, in this order.</summary>
    private async Task AfterWriteAsync(Guid tenant, Guid collection, long version, List<Guid> removedFaces,
        CancellationToken cancellationToken)
    {
        if (removedFaces.Count > 0)
        {
            await scans.RemoveAsync(collection, removedFaces);
        }

        await cache.InvalidateAsync(collection, version);
        await routing.WroteAsync([tenant, collection], cancellationToken);
    }

    private void Forget(Guid collection)
    {
        scans.Forget(collection);
        indexes.Forget(collection);
    }

    /// <summary>Raises the version inside the EF Core transaction, through the store's one statement.</summary>
    private Task<long?> BumpAsync(Guid tenant, Guid collection, long subjects, CancellationToken cancellationToken) =>
        GalleryStore.BumpVersionAsync((NpgsqlConnection)db.Database.GetDbConnection(),
            (NpgsqlTransaction)db.Database.CurrentTransaction!.GetDbTransaction(), collection, tenant, subjects, 0, cancellationToken);

    /// <summary>Checks a write against the tenant's quotas in the current transaction (before the version bump).</summary>
    private Task CheckQuotaAsync(Guid tenant, QuotaUse use, CancellationToken cancellationToken) =>
        quotas.CheckAsync((NpgsqlConnection)db.Database.GetDbConnection(),
            (NpgsqlTransaction)db.Database.CurrentTransaction!.GetDbTransaction(), tenant, use, cancellationToken);

    /// <summary>Metadata bytes a write adds; an empty object counts as none.</summary>
    private static long MetadataBytes(string json) => json == "{}" ? 0 : System.Text.Encoding.UTF8.GetByteCount(json);

    private static RpcException CollectionNotFound(Guid id) => new(new Status(StatusCode.NotFound, $"collection '{id}' was not found"));
}
