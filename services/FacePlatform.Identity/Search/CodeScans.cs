using System.Collections.Concurrent;
using System.Diagnostics;
using FacePlatform.Identity.Storage;
using FacePlatform.Identity.Telemetry;
using Microsoft.Extensions.Options;

namespace FacePlatform.Identity.Search;

/// <summary>
/// The in-memory codes (<see cref="CodeScan"/>) of the collections this instance searches, within
/// <c>Identity:ScanMemoryMegabytes</c>. A collection is read from PostgreSQL at its first search — in the call or in
/// the background while the partition's code index answers, as <see cref="SearchPlanner"/> decides; concurrent
/// searches share one read — and then follows every change: a search that finds a newer collection version first reads the
/// faces written since the last read (by write transaction id, <see cref="GalleryStore.ReadCodesAsync"/>). Deletions
/// made through this instance are applied at once; when the collection holds fewer faces than the copy (deleted through
/// another instance), the copy is read again in the background, and meanwhile re-ranking simply does not find the
/// deleted faces. PostgreSQL stays the source of truth: the copy only proposes candidates.
/// </summary>
internal sealed partial class CodeScans(
    IOptions<IdentityOptions> options, IdentityTelemetry telemetry, ILogger<CodeScans> logger)
{
    /// <summary>Full reads of at least this many faces are logged.</summary>
    private const int LoggedReadFaces = 10_000;

    private readonly ConcurrentDictionary<Guid, Entry> _entries = new();

    /// <summary>
    /// The collection's codes, current as of <paramref name="collection"/>'s version, or null when this search must
    /// ask PostgreSQL (scanning is off, the collection does not fit the budget, or it is still loading and
    /// <paramref name="waitForLoad"/> is false). <see cref="SearchPlanner"/> decides whether a search waits.
    /// </summary>
    public async Task<CodeScan?> ForSearchAsync(CollectionInfo collection, bool waitForLoad, GalleryStore store, CancellationToken cancellationToken)
    {
        var budget = (long)options.Value.ScanMemoryMegabytes << 20;
        if (budget == 0 || SearchPlanner.EstimatedScanBytes(collection.FaceCount, collection.CodeBits) > budget)
        {
            return null;
        }

        var entry = _entries.GetOrAdd(collection.Id, _ => new Entry(collection.CodeBits));
        entry.LastUsed = Stopwatch.GetTimestamp();
        var scan = Volatile.Read(ref entry.Scan);
        if (scan is null)
        {
            if (!waitForLoad)
            {
                StartFullRead(collection.Id, entry, store);
                return null;
            }

            await FullReadOnceAsync(collection.Id, entry, store).WaitAsync(cancellationToken);
            scan = Volatile.Read(ref entry.Scan);
        }

        if (scan is not null && scan.Version < collection.Version)
        {
            await CatchUpAsync(collection.Id, entry, scan, store, cancellationToken);
        }

        return scan;
    }

    /// <summary>
    /// Reads a collection's codes ahead of its first search when they fit what the budget has left; returns whether it
    /// read them. Copies made this way count as never searched, so they are the first dropped for others.
    /// </summary>
    public async Task<bool> WarmAsync(CollectionInfo collection, GalleryStore store, CancellationToken cancellationToken)
    {
        var budget = (long)options.Value.ScanMemoryMegabytes << 20;
        var held = _entries.Values.Sum(e => Volatile.Read(ref e.Scan)?.Bytes ?? 0);
        if (budget == 0 || held + SearchPlanner.EstimatedScanBytes(collection.FaceCount, collection.CodeBits) > budget)
        {
            return false;
        }

        var entry = _entries.GetOrAdd(collection.Id, _ => new Entry(collection.CodeBits));
        if (Volatile.Read(ref entry.Scan) is not null)
        {
            return false;
        }

        await FullReadOnceAsync(collection.Id, entry, store).WaitAsync(cancellationToken);
        return true;
    }

    /// <summary>Applies deletions made through this instance at once (their codes are zeroed).</summary>
    public async Task RemoveAsync(Guid collection, IReadOnlyCollection<Guid> faces)
    {
        if (!_entries.TryGetValue(collection, out var entry))
        {
            return;
        }

        await entry.Gate.WaitAsync();
        try
        {
            Volatile.Read(ref entry.Scan)?.Remove(faces);
        }
        finally
        {
            entry.Gate.Release();
        }
    }

    /// <summary>Drops a deleted collection's copy.</summary>
    public void Forget(Guid collection) => _entries.TryRemove(collection, out _);

    /// <summary>Whether the collection's codes are held in memory.</summary>
    public bool Holds(Guid collection) => _entries.TryGetValue(collection, out var entry) && Volatile.Read(ref entry.Scan) is not null;

    /// <summary>Faces held in memory across collections (removed ones included until their collection is read again).</summary>
    public long Faces => _entries.Values.Sum(e => (long)(Volatile.Read(ref e.Scan)?.Count ?? 0));

    private async Task CatchUpAsync(Guid collection, Entry entry, CodeScan scan, GalleryStore store, CancellationToken cancellationToken)
    {
        await entry.Gate.WaitAsync(cancellationToken);
        try
        {
            if (Volatile.Read(ref entry.Scan) != scan)
            {
                // A full read replaced it meanwhile; the caller's copy still serves this search.
                return;
            }

            var clock = Stopwatch.StartNew();
            var added = 0;
            var read = await store.ReadCodesAsync(collection, scan.SnapshotXmin, (id, code) => added += scan.Add(id, code) ? 1 : 0, cancellationToken);
            if (read is null)
            {
                Forget(collection);
                return;
            }

            // Reads may come from the primary or the replica (whichever the search reads), and a replica may be
            // behind an earlier read of the primary: what was read is only ever added, so the newer marks stay.
            var behind = read.Version < scan.Version;
            scan.Version = Math.Max(scan.Version, read.Version);
            scan.SnapshotXmin = Math.Max(scan.SnapshotXmin, read.SnapshotXmin);
            telemetry.CodeScanRead("increment", added, clock.Elapsed);
            if (!behind && scan.Count - scan.Removed > read.FaceCount)
            {
                // Faces were deleted through another instance: read the collection again, off this search's path.
                StartFullRead(collection, entry, store);
            }
        }
        finally
        {
            entry.Gate.Release();
        }
    }

    private void StartFullRead(Guid collection, Entry entry, GalleryStore store)
    {
        var read = FullReadOnceAsync(collection, entry, store);
        if (!read.IsCompleted)
        {
            _ = read.ContinueWith(
                failed => LogReadFailed(logger, failed.Exception!.GetBaseException(), collection),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    /// <summary>The collection's full read in progress, or a new one: concurrent first searches share one read.</summary>
    private Task FullReadOnceAsync(Guid collection, Entry entry, GalleryStore store)
    {
        lock (entry.ReadLock)
        {
            if (entry.Reading is { IsCompleted: false } reading)
            {
                return reading;
            }

            var read = Task.Run(() => FullReadAsync(collection, entry, store, CancellationToken.None));
            entry.Reading = read;
            return read;
        }
    }

    private async Task FullReadAsync(Guid collection, Entry entry, GalleryStore store, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var scan = new CodeScan(entry.Bits);
        var read = await store.ReadCodesAsync(collection, null, (id, code) => scan.Add(id, code), cancellationToken);
        if (read is null)
        {
            Forget(collection);
            return;
        }

        scan.Version = read.Version;
        scan.SnapshotXmin = read.SnapshotXmin;
        await entry.Gate.WaitAsync(cancellationToken);
        try
        {
            Volatile.Write(ref entry.Scan, scan);
        }
        finally
        {
            entry.Gate.Release();
        }

        telemetry.CodeScanRead("full", scan.Count, clock.Elapsed);
        if (scan.Count >= LoggedReadFaces)
        {
            LogRead(logger, scan.Count, collection, clock.ElapsedMilliseconds);
        }

        Evict(collection);
    }

    /// <summary>Drops the least recently searched copies until the rest fit the budget.</summary>
    private void Evict(Guid keep)
    {
        var budget = (long)options.Value.ScanMemoryMegabytes << 20;
        var held = _entries.Select(e => (e.Key, e.Value, Bytes: Volatile.Read(ref e.Value.Scan)?.Bytes ?? 0)).ToList();
        var total = held.Sum(h => h.Bytes);
        foreach (var (id, entry, bytes) in held.Where(h => h.Key != keep).OrderBy(h => h.Value.LastUsed))
        {
            if (total <= budget)
            {
                break;
            }

            if (_entries.TryRemove(id, out _))
            {
                total -= bytes;
                LogDropped(logger, id);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the codes of collection {Collection} failed; its searches go to PostgreSQL until a later search reads them")]
    private static partial void LogReadFailed(ILogger logger, Exception error, Guid collection);

    [LoggerMessage(Level = LogLevel.Information, Message = "Read {Faces} codes of collection {Collection} in {Milliseconds} ms")]
    private static partial void LogRead(ILogger logger, int faces, Guid collection, long milliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dropped the in-memory codes of collection {Collection} (memory budget)")]
    private static partial void LogDropped(ILogger logger, Guid collection);

    /// <summary>
    /// A collection's copy and its gate. The gate is never disposed: an entry dropped from the table may still be in
    /// use by a search, and a SemaphoreSlim without a wait handle holds no unmanaged resource.
    /// </summary>
#pragma warning disable CA1001
    private sealed class Entry(int bits)
#pragma warning restore CA1001
    {
        public readonly SemaphoreSlim Gate = new(1, 1);
        public readonly int Bits = bits;
        public CodeScan? Scan;
        public readonly Lock ReadLock = new();
        public Task? Reading;
        public long LastUsed;
    }
}
