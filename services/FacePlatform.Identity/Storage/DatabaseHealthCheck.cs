using FacePlatform.Identity.Galleries;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace FacePlatform.Identity.Storage;

/// <summary>
/// Readiness of the databases: healthy with the primary reachable; degraded — still ready, since searches, listings
/// and gets answer from it — with only the read replica reachable (writes then fail with UNAVAILABLE); unhealthy with
/// neither.
/// </summary>
internal sealed class DatabaseHealthCheck(NpgsqlDataSource primary, ReplicaDataSource replica) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var primaryError = await PingAsync(primary, cancellationToken);
        if (primaryError is null)
        {
            return HealthCheckResult.Healthy();
        }

        if (replica.DataSource is { } source && await PingAsync(source, cancellationToken) is null)
        {
            return HealthCheckResult.Degraded($"the primary is unreachable ({primaryError}); reads answer from the replica, writes fail");
        }

        return HealthCheckResult.Unhealthy($"PostgreSQL is unreachable: {primaryError}");
    }

    private static async Task<string?> PingAsync(NpgsqlDataSource source, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = source.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);
            return null;
        }
        catch (Exception error) when (error is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return error.Message;
        }
    }
}
