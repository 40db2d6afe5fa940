using System.Net;
using FacePlatform.ServiceDefaults.Audit;
using Grpc.Core;
using Npgsql;

namespace FacePlatform.Identity.Audit;

/// <summary>What one audited call did: whose log, which action, which resource.</summary>
internal sealed record AuditRecord(Guid TenantId, string Action, string Resource);

/// <summary>
/// Writes audit events to PostgreSQL (<c>audit_events</c>), one INSERT per audited call, after the call. A failed
/// write is logged and counted, not turned into a failed call: the operation has already happened, and when
/// PostgreSQL is down the operation itself fails first.
/// </summary>
internal sealed partial class AuditLog(NpgsqlDataSource dataSource, ILogger<AuditLog> logger)
{
    public async Task WriteAsync(AuditRecord record, string outcome, Metadata caller, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = dataSource.CreateCommand(
                "INSERT INTO audit_events (\"Id\", \"TenantId\", \"Action\", \"ActorKeyId\", \"ActorTenantId\", \"Resource\", " +
                "\"ClientAddress\", \"Outcome\", \"OccurredAt\") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
            var now = DateTimeOffset.UtcNow;
            command.Parameters.Add(new() { Value = Guid.CreateVersion7(now) });
            command.Parameters.Add(new() { Value = record.TenantId });
            command.Parameters.Add(new() { Value = record.Action });
            command.Parameters.Add(new() { Value = (object?)ActorKey(caller) ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
            command.Parameters.Add(new() { Value = (object?)ActorTenant(caller) ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
            command.Parameters.Add(new() { Value = record.Resource });
            command.Parameters.Add(new() { Value = ClientAddress(caller) });
            command.Parameters.Add(new() { Value = outcome });
            command.Parameters.Add(new() { Value = now });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            LogWriteFailed(logger, record.Action, record.TenantId, exception.Message);
        }
    }

    /// <summary>The tenant of the calling key, as the gateway passed it (null when absent or malformed).</summary>
    public static Guid? ActorTenant(Metadata caller) => GuidOf(caller, CallerMetadata.TenantId);

    private static Guid? ActorKey(Metadata caller) => GuidOf(caller, CallerMetadata.KeyId);

    // Parsed and re-printed, so nothing but an address reaches the table.
    private static string ClientAddress(Metadata caller) =>
        IPAddress.TryParse(caller.GetValue(CallerMetadata.ClientAddress), out var address) ? address.ToString() : string.Empty;

    private static Guid? GuidOf(Metadata caller, string key) => Guid.TryParse(caller.GetValue(key), out var id) ? id : null;

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit event {Action} of tenant {Tenant} was not written: {Reason}")]
    private static partial void LogWriteFailed(ILogger logger, string action, Guid tenant, string reason);
}
