using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using FacePlatform.Identity.Galleries;
using FacePlatform.Identity.Keys;
using FacePlatform.Identity.Storage;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;

namespace FacePlatform.Identity.Grpc;

/// <summary>
/// Tenant lifecycle (suspend, resume, delete), the last-used time of keys, and the audit log. The gateway lets only
/// the platform tenant's admin keys suspend or delete, and a tenant's admins read only their own tenant's log.
/// </summary>
internal sealed partial class IdentityGrpcService
{
    public override Task<Tenant> SuspendTenant(TenantRequest request, ServerCallContext context) =>
        SetSuspendedAsync(request.TenantId, DateTimeOffset.UtcNow, context.CancellationToken);

    public override Task<Tenant> ResumeTenant(TenantRequest request, ServerCallContext context) =>
        SetSuspendedAsync(request.TenantId, null, context.CancellationToken);

    public override async Task<DeleteTenantResponse> DeleteTenant(TenantRequest request, ServerCallContext context)
    {
        var tenantId = Ids.Parse(request.TenantId, "tenant");
        var deleted = await writes.DeleteTenantAsync(tenantId, tenant => RefusePlatformTenant(tenant, "deleted"), context.CancellationToken)
            ?? throw TenantNotFound(request.TenantId);
        return new DeleteTenantResponse
        {
            DeletedCollections = deleted.Collections,
            DeletedSubjects = deleted.Subjects,
            DeletedFaces = deleted.Faces,
            DeletedApiKeys = deleted.ApiKeys,
            DeletedAuditEvents = deleted.AuditEvents,
            DeletedCacheEntries = deleted.CacheEntries,
        };
    }

    public override async Task<ListAuditEventsResponse> ListAuditEvents(ListAuditEventsRequest request, ServerCallContext context)
    {
        var tenantId = Ids.Parse(request.TenantId, "tenant");
        var size = Paging.Size(request.Page);
        var before = Paging.After(request.Page);
        // Searches and verifications of this replica that are still queued belong in the answer.
        await audit.DrainAsync(context.CancellationToken);
        // Newest first: version-7 ids grow with time, so the page token is the oldest id of the previous page.
        var events = await db.AuditEvents.AsNoTracking()
            .Where(a => a.TenantId == tenantId && (before == null || a.Id < before))
            .OrderByDescending(a => a.Id)
            .Take(size + 1)
            .ToListAsync(context.CancellationToken);
        var response = new ListAuditEventsResponse { Page = Paging.Next(events, size, a => a.Id) };
        response.Events.AddRange(events.Select(ToMessage));
        return response;
    }

    private async Task<Tenant> SetSuspendedAsync(string id, DateTimeOffset? suspendedAt, CancellationToken cancellationToken)
    {
        var tenantId = Ids.Parse(id, "tenant");
        var tenant = await db.Tenants.FirstOrDefaultAsync(t => t.Id == tenantId, cancellationToken)
            ?? throw TenantNotFound(id);
        RefusePlatformTenant(tenant, "suspended");
        // Suspending again keeps the first time.
        tenant.SuspendedAt = suspendedAt is null ? null : tenant.SuspendedAt ?? suspendedAt;
        await db.SaveChangesAsync(cancellationToken);
        return ToMessage(tenant);
    }

    /// <summary>
    /// Records that a key authenticated, unless the stored time is younger than <see cref="ApiKeys.LastUsedResolution"/>:
    /// the condition is checked on the row already read, so a busy key costs no write at all between updates, and
    /// again in the UPDATE, so concurrent authentications write once.
    /// </summary>
    private async Task TouchAsync(Guid keyId, DateTimeOffset? lastUsedAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var stale = now - ApiKeys.LastUsedResolution;
        if (lastUsedAt > stale)
        {
            return;
        }

        try
        {
            await db.ApiKeys.Where(k => k.Id == keyId && (k.LastUsedAt == null || k.LastUsedAt <= stale))
                .ExecuteUpdateAsync(set => set.SetProperty(k => k.LastUsedAt, now), cancellationToken);
        }
        catch (Exception error) when (routing.Replica is not null && ReadRouting.IsUnreachable(error))
        {
            // The primary is down and the key was found on the replica: authenticating matters more than the
            // last-used time, which the next authentication after the outage records.
        }
    }

    private static void RefusePlatformTenant(TenantEntity tenant, string what)
    {
        if (tenant.Name == PlatformTenantName)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"the platform's own tenant '{PlatformTenantName}' cannot be {what}"));
        }
    }

    private static RpcException TenantNotFound(string id) =>
        new(new Status(StatusCode.NotFound, $"tenant '{id}' was not found"));

    private static AuditEvent ToMessage(AuditEventEntity audit) => new()
    {
        Id = audit.Id.ToString(),
        TenantId = audit.TenantId.ToString(),
        Action = audit.Action,
        ActorKeyId = audit.ActorKeyId?.ToString() ?? string.Empty,
        ActorTenantId = audit.ActorTenantId?.ToString() ?? string.Empty,
        Resource = audit.Resource,
        ClientAddress = audit.ClientAddress,
        Outcome = audit.Outcome,
        Time = Timestamp.FromDateTimeOffset(audit.OccurredAt),
    };
}
