using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;

namespace FacePlatform.Gateway.Rest;

/// <summary>What a tenant's deletion removed.</summary>
/// <param name="DeletedCollections">Collections, each with its face partition.</param>
/// <param name="DeletedSubjects">Subjects of those collections.</param>
/// <param name="DeletedFaces">Enrolled faces (vectors).</param>
/// <param name="DeletedApiKeys">The tenant's API keys.</param>
/// <param name="DeletedAuditEvents">The tenant's audit log entries.</param>
/// <param name="DeletedCacheEntries">Redis keys removed: cached search answers and analyses of the tenant.</param>
public sealed record TenantDeleteResult(
    long DeletedCollections, long DeletedSubjects, long DeletedFaces, long DeletedApiKeys, long DeletedAuditEvents,
    long DeletedCacheEntries)
{
    internal static TenantDeleteResult From(DeleteTenantResponse r) => new(
        r.DeletedCollections, r.DeletedSubjects, r.DeletedFaces, r.DeletedApiKeys, r.DeletedAuditEvents, r.DeletedCacheEntries);
}

/// <summary>One entry of a tenant's audit log. Never photos, vectors or metadata.</summary>
/// <param name="Id">The event's id (time-ordered).</param>
/// <param name="TenantId">The tenant whose log holds it.</param>
/// <param name="Action">e.g. key.created, key.revoked, tenant.suspended, tenant.resumed, tenant.deleted, collection.created,
/// collection.deleted, subject.created, subject.deleted, face.enrolled, face.deleted, search, verify.</param>
/// <param name="ActorKeyId">The API key that made the call.</param>
/// <param name="ActorTenantId">That key's tenant (the platform's when a platform admin acted on this tenant).</param>
/// <param name="Resource">Path of ids, e.g. collections/{id}/subjects/{id}.</param>
/// <param name="ClientAddress">The caller's network address as the gateway saw it.</param>
/// <param name="Outcome">"OK", or the gRPC status name of the failure (NOT_FOUND, PERMISSION_DENIED, ...).</param>
/// <param name="Time">When it happened.</param>
public sealed record AuditEventView(
    string Id, string TenantId, string Action, string ActorKeyId, string ActorTenantId, string Resource, string ClientAddress,
    string Outcome, DateTimeOffset Time)
{
    internal static AuditEventView From(AuditEvent e) => new(
        e.Id, e.TenantId, e.Action, e.ActorKeyId, e.ActorTenantId, e.Resource, e.ClientAddress, e.Outcome, e.Time.ToDateTimeOffset());
}

/// <summary>One page of an audit log.</summary>
/// <param name="Events">Newest first.</param>
/// <param name="NextPageToken">Pass as <c>pageToken</c> for the next (older) page; null on the last page.</param>
public sealed record AuditPage(IReadOnlyList<AuditEventView> Events, string? NextPageToken)
{
    internal static AuditPage From(ListAuditEventsResponse r) => new(
        r.Events.Select(AuditEventView.From).ToList(), r.Page.NextPageToken is { Length: > 0 } token ? token : null);
}
