using System.Collections.Concurrent;
using System.Diagnostics;
using FacePlatform.Identity.Storage;
using FacePlatform.Identity.Telemetry;
using FacePlatform.Identity.Validation;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace FacePlatform.Identity.Galleries;

/// <summary>The read replica's data source (<c>ConnectionStrings:PostgresReadOnly</c>), when one is configured.</summary>
/// <param name="DataSource">Its pool, or null without a replica.</param>
internal sealed record ReplicaDataSource(NpgsqlDataSource? DataSource);

/// <summary>
/// Chooses the database each read goes to. Without <c>ConnectionStrings:PostgresReadOnly</c> every read goes to the
/// primary. With it, searches, listings and gets go to the streaming replica, except where the replica has not yet
/// replayed a write this process made to the same collection (or tenant): then the read waits up to
/// <c>Identity:ReplicaWaitMilliseconds</c> for the replica's <c>pg_last_wal_replay_lsn()</c> to pass the write's LSN
/// (<c>pg_current_wal_lsn()</c> on the primary right after the commit), else reads the primary — read-your-writes for
/// every caller whose writes and reads reach the same identity instance (the gateway's connection to one instance;
/// across instances the lag is the replica's, typically milliseconds). A database that fails a read is avoided for
/// <c>Identity:DatabaseRetrySeconds</c> and the read is retried on the other one: with the replica down reads move to
/// the primary; with the primary down they stay on the replica (a just-written collection then answers from the
/// replica as far as it has replayed). Writes always go to the primary and fail with UNAVAILABLE when it is down.
/// </summary>
internal sealed partial class ReadRouting
{
    private readonly ConcurrentDictionary<Guid, (ulong Lsn, long At)> _writes = new();
    private readonly NpgsqlDataSource _primarySource;
    private readonly IOptions<IdentityOptions> _options;
    private readonly IdentityTelemetry _telemetry;
    private readonly ILogger<ReadRouting> _logger;
    private ulong _replayed;
    private long _primaryDownUntil;
    private long _replicaDownUntil;

    public ReadRouting(
        GalleryStore primary, NpgsqlDataSource primarySource, ReplicaDataSource replica, TenantQuotas quotas,
        IOptions<IdentityOptions> options, IdentityTelemetry telemetry, ILogger<ReadRouting> logger)
    {
        _primarySource = primarySource;
        _options = options;
        _telemetry = telemetry;
        _logger = logger;
        Primary = new ReadTarget(primary, false, Options(primarySource));
        Replica = replica.DataSource is { } source ? new ReadTarget(new GalleryStore(source, quotas), true, Options(source)) : null;
    }

    /// <summary>The primary, for reads that must see every committed write.</summary>
    public ReadTarget Primary { get; }

    /// <summary>The streaming replica, or null without one.</summary>
    public ReadTarget? Replica { get; }

    /// <summary>
    /// Runs a read of <paramref name="scope"/> (a collection, or a tenant for its collection list) on the database
    /// <see cref="ForReadAsync"/> chooses, and once more on the other one when that database is unreachable.
    /// </summary>
    public async Task<T> ReadAsync<T>(Guid scope, Func<ReadTarget, Task<T>> read, CancellationToken cancellationToken)
    {
        var target = await ForReadAsync(scope, cancellationToken);
        try
        {
            return await read(target);
        }
        catch (Exception error) when (Replica is not null && IsUnreachable(error))
        {
            var other = MarkDown(target, error);
            return await read(other);
        }
    }

    /// <summary>The database a read of <paramref name="scope"/> goes to now.</summary>
    public async Task<ReadTarget> ForReadAsync(Guid scope, CancellationToken cancellationToken)
    {
        if (Replica is null)
        {
            return Primary;
        }

        var now = Stopwatch.GetTimestamp();
        if (now < Volatile.Read(ref _replicaDownUntil))
        {
            return Routed(Primary, "replica_down");
        }

        if (now < Volatile.Read(ref _primaryDownUntil) || !_writes.TryGetValue(scope, out var write))
        {
            return Routed(Replica, "replica");
        }

        var settings = _options.Value;
        if (Stopwatch.GetElapsedTime(write.At) > TimeSpan.FromSeconds(settings.ReadYourWritesSeconds))
        {
            // Long replayed by any replica in working order; forget it so the table stays small.
            _writes.TryRemove(new KeyValuePair<Guid, (ulong, long)>(scope, write));
            return Routed(Replica, "replica");
        }

        if (Volatile.Read(ref _replayed) >= write.Lsn)
        {
            return Routed(Replica, "replica");
        }

        var waited = Stopwatch.StartNew();
        var bound = TimeSpan.FromMilliseconds(settings.ReplicaWaitMilliseconds);
        try
        {
            while (true)
            {
                var replayed = await ReplayedAsync(cancellationToken);
                if (replayed >= write.Lsn)
                {
                    return Routed(Replica, "replica_caught_up");
                }

                if (waited.Elapsed >= bound)
                {
                    return Routed(Primary, "replica_behind");
                }

                await Task.Delay(TimeSpan.FromMilliseconds(5), cancellationToken);
            }
        }
        catch (Exception error) when (IsUnreachable(error))
        {
            MarkDown(Replica, error);
            return Routed(Primary, "replica_down");
        }
    }

    /// <summary>
    /// Records that a write to these scopes (its tenant, its collections) committed on the primary: until the
    /// replica has replayed it, this process reads those scopes from the primary (within the wait bound).
    /// </summary>
    public async Task WroteAsync(IReadOnlyCollection<Guid> scopes, CancellationToken cancellationToken)
    {
        if (Replica is null)
        {
            return;
        }

        ulong lsn;
        try
        {
            await using var command = _primarySource.CreateCommand("SELECT pg_current_wal_lsn()");
            lsn = (ulong)(NpgsqlLogSequenceNumber)(await command.ExecuteScalarAsync(CancellationToken.None))!;
        }
        catch (Exception error) when (IsUnreachable(error))
        {
            // Committed, but its position is unknown: read these scopes from the primary while the mark lasts.
            LogLsnUnknown(_logger, error.Message);
            lsn = ulong.MaxValue;
        }

        var at = Stopwatch.GetTimestamp();
        foreach (var scope in scopes)
        {
            _writes.AddOrUpdate(scope, (lsn, at), (_, old) => (Math.Max(old.Lsn, lsn), at));
        }
    }

    /// <summary>EF Core options on a data source (pgvector mapped, as the service's own context has it).</summary>
    public static DbContextOptions<IdentityDbContext> Options(NpgsqlDataSource source) =>
        new DbContextOptionsBuilder<IdentityDbContext>().UseNpgsql(source, npgsql => npgsql.UseVector()).Options;

    /// <summary>Whether an exception means the database could not be reached (rather than a bad query).</summary>
    public static bool IsUnreachable(Exception error) => error switch
    {
        NpgsqlException { IsTransient: true } => true,
        PostgresException { SqlState: PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CannotConnectNow } => true,
        TimeoutException => true,
        InvalidOperationException { InnerException: { } inner } => IsUnreachable(inner),
        DbUpdateException { InnerException: { } inner } => IsUnreachable(inner),
        _ => false,
    };

    private async Task<ulong> ReplayedAsync(CancellationToken cancellationToken)
    {
        await using var command = Replica!.Store.DataSource.CreateCommand("SELECT pg_last_wal_replay_lsn()");
        var replayed = await command.ExecuteScalarAsync(cancellationToken) is NpgsqlLogSequenceNumber lsn ? (ulong)lsn : 0;
        InterlockedMax(ref _replayed, replayed);
        return replayed;
    }

    /// <summary>Avoids <paramref name="failed"/> for a while, drops its dead pooled connections, and returns the other database.</summary>
    private ReadTarget MarkDown(ReadTarget failed, Exception error)
    {
        var until = Stopwatch.GetTimestamp() + (long)(_options.Value.DatabaseRetrySeconds * Stopwatch.Frequency);
        if (failed.Replica)
        {
            Volatile.Write(ref _replicaDownUntil, until);
        }
        else
        {
            Volatile.Write(ref _primaryDownUntil, until);
        }

        failed.Store.DataSource.Clear();
        LogDown(_logger, failed.Replica ? "replica" : "primary", error.Message);
        var other = failed.Replica ? Primary : Replica!;
        _telemetry.ReadRouted(other.Replica, failed.Replica ? "replica_down" : "primary_down");
        return other;
    }

    /// <summary>The other database after <paramref name="failed"/> could not be reached (and avoids it a while); null when the error is another one or there is no other.</summary>
    public ReadTarget? FallbackAfter(ReadTarget failed, Exception error) =>
        Replica is not null && IsUnreachable(error) ? MarkDown(failed, error) : null;

    private ReadTarget Routed(ReadTarget target, string reason)
    {
        _telemetry.ReadRouted(target.Replica, reason);
        return target;
    }

    private static void InterlockedMax(ref ulong location, ulong value)
    {
        var seen = Volatile.Read(ref location);
        while (value > seen)
        {
            var previous = Interlocked.CompareExchange(ref location, value, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The {Database} database is unreachable; reads use the other one for a while: {Reason}")]
    private static partial void LogDown(ILogger logger, string database, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the primary's WAL position after a write; its scopes are read from the primary for a while: {Reason}")]
    private static partial void LogLsnUnknown(ILogger logger, string reason);
}
