using System.Net;
using System.Threading.Channels;
using FacePlatform.ServiceDefaults.Audit;
using Grpc.Core;
using Npgsql;
using NpgsqlTypes;

namespace FacePlatform.Identity.Audit;

/// <summary>What one audited call did: whose log, which action, which resource.</summary>
internal sealed record AuditRecord(Guid TenantId, string Action, string Resource);

/// <summary>
/// Writes audit events to PostgreSQL (<c>audit_events</c>). Changes are written before the call answers; searches and
/// verifications — the hot path — are queued and written by <see cref="AuditWriter"/> in batches of whatever is
/// waiting (one round trip and one commit each): one committed INSERT cost 2.5–3.0 ms here (pgbench, 2 loaded cores,
/// docs/tenants.md), as much as a search itself. A full queue falls back to writing at once; reading the log first
/// writes what this replica has queued. A failed write is logged, not turned into a failed call: the operation has
/// already happened, and when PostgreSQL is down the operation itself fails first.
/// </summary>
internal sealed partial class AuditLog(NpgsqlDataSource dataSource, ILogger<AuditLog> logger) : IDisposable
{
    private const int MaxBatch = 500;

    private readonly Channel<AuditRow> _queue = Channel.CreateBounded<AuditRow>(
        new BoundedChannelOptions(10_000) { SingleReader = false, FullMode = BoundedChannelFullMode.Wait });

    // Taken while rows are read from the queue and written, so a reader of the log that drains the queue waits for a
    // batch the writer has already taken.
    private readonly SemaphoreSlim _writing = new(1, 1);

    /// <summary>Writes the event now.</summary>
    public Task WriteAsync(AuditRecord record, string outcome, Metadata caller, CancellationToken cancellationToken) =>
        WriteRowsAsync([Row(record, outcome, caller)], cancellationToken);

    /// <summary>Queues the event for <see cref="AuditWriter"/>; writes it now when the queue is full.</summary>
    public Task EnqueueAsync(AuditRecord record, string outcome, Metadata caller) =>
        _queue.Writer.TryWrite(Row(record, outcome, caller))
            ? Task.CompletedTask
            : WriteAsync(record, outcome, caller, CancellationToken.None);

    /// <summary>Writes every queued event; true when there were some.</summary>
    public async Task<bool> DrainAsync(CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken);
        try
        {
            var wrote = false;
            var batch = new List<AuditRow>(MaxBatch);
            while (true)
            {
                while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var row))
                {
                    batch.Add(row);
                }

                if (batch.Count == 0)
                {
                    return wrote;
                }

                await WriteRowsAsync(batch, CancellationToken.None);
                wrote = true;
                batch.Clear();
            }
        }
        finally
        {
            _writing.Release();
        }
    }

    /// <summary>Waits until an event is queued (false when the queue is closed).</summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) => _queue.Reader.WaitToReadAsync(cancellationToken);

    public void Dispose() => _writing.Dispose();

    /// <summary>The tenant of the calling key, as the gateway passed it (null when absent or malformed).</summary>
    public static Guid? ActorTenant(Metadata caller) => GuidOf(caller, CallerMetadata.TenantId);

    private async Task WriteRowsAsync(IReadOnlyList<AuditRow> rows, CancellationToken cancellationToken)
    {
        try
        {
            await using var batch = dataSource.CreateBatch();
            foreach (var row in rows)
            {
                var command = new NpgsqlBatchCommand(
                    "INSERT INTO audit_events (\"Id\", \"TenantId\", \"Action\", \"ActorKeyId\", \"ActorTenantId\", \"Resource\", " +
                    "\"ClientAddress\", \"Outcome\", \"OccurredAt\") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
                command.Parameters.Add(new() { Value = row.Id });
                command.Parameters.Add(new() { Value = row.Record.TenantId });
                command.Parameters.Add(new() { Value = row.Record.Action });
                command.Parameters.Add(new() { Value = (object?)row.ActorKey ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
                command.Parameters.Add(new() { Value = (object?)row.ActorTenant ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
                command.Parameters.Add(new() { Value = row.Record.Resource });
                command.Parameters.Add(new() { Value = row.ClientAddress });
                command.Parameters.Add(new() { Value = row.Outcome });
                command.Parameters.Add(new() { Value = row.OccurredAt });
                batch.BatchCommands.Add(command);
            }

            // One batch is one implicit transaction: one commit for all its rows.
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            LogWriteFailed(logger, rows.Count, rows[0].Record.Action, exception.Message);
        }
    }

    private static AuditRow Row(AuditRecord record, string outcome, Metadata caller)
    {
        var now = DateTimeOffset.UtcNow;
        return new AuditRow(Guid.CreateVersion7(now), record, outcome, GuidOf(caller, CallerMetadata.KeyId), ActorTenant(caller),
            ClientAddress(caller), now);
    }

    // Parsed and re-printed, so nothing but an address reaches the table.
    private static string ClientAddress(Metadata caller) =>
        IPAddress.TryParse(caller.GetValue(CallerMetadata.ClientAddress), out var address) ? address.ToString() : string.Empty;

    private static Guid? GuidOf(Metadata caller, string key) => Guid.TryParse(caller.GetValue(key), out var id) ? id : null;

    [LoggerMessage(Level = LogLevel.Error, Message = "{Count} audit events (first: {Action}) were not written: {Reason}")]
    private static partial void LogWriteFailed(ILogger logger, int count, string action, string reason);

    private sealed record AuditRow(
        Guid Id, AuditRecord Record, string Outcome, Guid? ActorKey, Guid? ActorTenant, string ClientAddress, DateTimeOffset OccurredAt);
}

/// <summary>Writes the queued audit events of <see cref="AuditLog"/> as they come, and the rest at shutdown.</summary>
internal sealed class AuditWriter(AuditLog log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await log.WaitToReadAsync(stoppingToken))
            {
                await log.DrainAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is still queued is written below.
        }

        await log.DrainAsync(CancellationToken.None);
    }
}
