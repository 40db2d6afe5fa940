using FacePlatform.Contracts.V1;
using FacePlatform.Identity.Caching;
using FacePlatform.Identity.Search;
using FacePlatform.Identity.Storage;
using FacePlatform.Identity.Validation;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;

namespace FacePlatform.Identity.Galleries;

/// <summary>A subject with the number of its faces.</summary>
internal sealed record SubjectWithFaces(SubjectEntity Subject, long Faces);

/// <summary>A page of rows and whether (after which id) more follow, as <see cref="Grpc.Paging"/> expects them.</summary>
internal sealed record SubjectPage(List<SubjectWithFaces> Rows, int Size);

/// <summary>
/// Reads of galleries — collections, subjects, faces, verification — on the database <see cref="ReadRouting"/> chooses
/// (the read replica when it has replayed the reader's own writes), with subjects served from the cache when they can.
/// Nothing here writes.
/// </summary>
internal sealed class GalleryReads(ReadRouting routing, GalleryCache cache) : ICollectionFinder
{
    public Task<FoundCollection?> FindAsync(Guid tenant, Guid collection, CancellationToken cancellationToken) =>
        routing.ReadAsync(collection, async target =>
            await target.Store.FindCollectionAsync(tenant, collection, cancellationToken) is { } info ? new FoundCollection(info, target) : null,
            cancellationToken);

    public ReadTarget? FallbackAfter(ReadTarget failed, Exception error) => routing.FallbackAfter(failed, error);

    /// <summary>A tenant's collection, or null.</summary>
    public Task<CollectionEntity?> GetCollectionAsync(Guid tenant, Guid collection, CancellationToken cancellationToken) =>
        routing.ReadAsync(collection, async target =>
        {
            await using var db = target.Context();
            return await db.Collections.FirstOrDefaultAsync(c => c.TenantId == tenant && c.Id == collection, cancellationToken);
        }, cancellationToken);

    /// <summary>A page of a tenant's collections in id order (<paramref name="take"/> rows: one more than the page).</summary>
    public Task<List<CollectionEntity>> ListCollectionsAsync(Guid tenant, Guid? after, int take, CancellationToken cancellationToken) =>
        routing.ReadAsync(tenant, async target =>
        {
            await using var db = target.Context();
            return await db.Collections
                .Where(c => c.TenantId == tenant && (after == null || c.Id > after))
                .OrderBy(c => c.Id)
                .Take(take)
                .ToListAsync(cancellationToken);
        }, cancellationToken);

    /// <summary>A subject with its face count (from the cache when it holds the collection's current version), or null.</summary>
    public async Task<Subject?> GetSubjectAsync(Guid tenant, Guid collection, Guid subject, Func<SubjectWithFaces, Subject> map,
        CancellationToken cancellationToken)
    {
        if (await FindAsync(tenant, collection, cancellationToken) is not var (info, target))
        {
            return null;
        }

        if (await cache.GetSubjectAsync(collection, info.Version, subject) is { } cached)
        {
            return cached;
        }

        var found = await OnTargetAsync(target, async (_, db) =>
            await WithFaceCounts(db, db.Subjects.Where(s => s.Id == subject && s.CollectionId == collection && s.TenantId == tenant))
                .FirstOrDefaultAsync(cancellationToken));
        if (found is null)
        {
            return null;
        }

        var message = map(found);
        cache.StoreSubject(collection, info.Version, message);
        return message;
    }

    /// <summary>
    /// A page of a collection's subjects in id order whose external id or display name starts with
    /// <paramref name="filter"/>, cut where the metadata passes the listing budget; null when the collection is not the tenant's.
    /// </summary>
    public async Task<SubjectPage?> ListSubjectsAsync(Guid tenant, Guid collection, string filter, Guid? after, int size,
        CancellationToken cancellationToken)
    {
        if (await FindAsync(tenant, collection, cancellationToken) is not var (_, target))
        {
            return null;
        }

        var page = await OnTargetAsync(target, (_, db) =>
        {
            var subjects = db.Subjects.Where(s => s.CollectionId == collection && s.TenantId == tenant && (after == null || s.Id > after));
            if (filter.Length > 0)
            {
                var pattern = EscapeLike(filter) + "%";
                subjects = subjects.Where(s => EF.Functions.ILike(s.ExternalId, pattern, "\\") || EF.Functions.ILike(s.DisplayName, pattern, "\\"));
            }

            return WithFaceCounts(db, subjects.OrderBy(s => s.Id).Take(size + 1)).ToListAsync(cancellationToken);
        });
        var fit = ListingBudget.Fit(page.Take(size).Select(s => s.Subject.Metadata).ToList());
        if (fit < Math.Min(size, page.Count))
        {
            // Keep one more than fits, so that the page ends with a token at the last subject that fits.
            page.RemoveRange(fit + 1, page.Count - fit - 1);
            size = fit;
        }

        return new SubjectPage(page, size);
    }

    /// <summary>A page of a subject's faces in enrolment order; null when the subject is not in the tenant's collection.</summary>
    public Task<List<StoredFace>?> ListFacesAsync(Guid tenant, Guid collection, Guid subject, Guid? after, int take,
        CancellationToken cancellationToken) =>
        routing.ReadAsync(collection, async target =>
        {
            await using (var db = target.Context())
            {
                if (!await db.Subjects.AnyAsync(s => s.Id == subject && s.CollectionId == collection && s.TenantId == tenant, cancellationToken))
                {
                    return null;
                }
            }

            return await target.Store.ListFacesAsync(collection, subject, after, take, cancellationToken);
        }, cancellationToken);

    /// <summary>
    /// The subject's face most similar to <paramref name="embedding"/> with the collection's default threshold source;
    /// NOT_FOUND for a missing collection or subject, FAILED_PRECONDITION for a subject without faces.
    /// </summary>
    public async Task<(CollectionInfo Collection, Guid FaceId, float Similarity)> BestFaceAsync(
        Guid tenant, Guid collection, Guid subject, Embedding embedding, CancellationToken cancellationToken)
    {
        var (info, target) = await FindAsync(tenant, collection, cancellationToken)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"collection '{collection}' was not found"));
        var query = Embeddings.ToStored(embedding, info.ModelId, info.Dimension);
        var (faceId, similarity) = await OnTargetAsync(target, async (on, db) =>
            {
                if (!await db.Subjects.AnyAsync(s => s.Id == subject && s.CollectionId == collection && s.TenantId == tenant, cancellationToken))
                {
                    throw new RpcException(new Status(StatusCode.NotFound, $"subject '{subject}' was not found"));
                }

                return await on.Store.BestFaceAsync(info, subject, query, cancellationToken);
            })
            ?? throw new RpcException(new Status(StatusCode.FailedPrecondition, $"subject '{subject}' has no enrolled faces"));
        return (info, faceId, similarity);
    }

    /// <summary>
    /// A read on the database the collection was found on, once more on the other one when that one died meanwhile.
    /// (<paramref name="read"/> is given a context on whichever database it runs.)
    /// </summary>
    private async Task<T> OnTargetAsync<T>(ReadTarget target, Func<ReadTarget, IdentityDbContext, Task<T>> read)
    {
        try
        {
            await using var db = target.Context();
            return await read(target, db);
        }
        catch (Exception error) when (routing.FallbackAfter(target, error) is { } other)
        {
            await using var db = other.Context();
            return await read(other, db);
        }
    }

    private static IQueryable<SubjectWithFaces> WithFaceCounts(IdentityDbContext db, IQueryable<SubjectEntity> subjects) =>
        subjects.Select(s => new SubjectWithFaces(s, db.Faces.LongCount(f => f.CollectionId == s.CollectionId && f.SubjectId == s.Id)));

    private static string EscapeLike(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
