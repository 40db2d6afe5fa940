namespace FacePlatform.ServiceDefaults.Hosting;

/// <summary>
/// Gives back the memory of a burst of large requests once the process goes idle: wraps the leases of an
/// <see cref="InFlightBudget"/>, and when the last one is given back after at least <c>collectAfter</c> units since the
/// last collection, runs a full compacting collection; and <see cref="PoolTrimDelay"/> after any work went idle, once
/// idle again, two more for what came since and what the shared array pool let go. Used by the gateway's image gate (photo bytes) and the embedding's decode gate (pixels).
/// </summary>
/// <remarks>
/// Why: photos, their messages and decode buffers are large-object-heap arrays (and Kestrel's pinned blocks are on the
/// pinned heap): once garbage, only a full collection gives their memory back, and a process serving small requests
/// afterwards may not run one for a long time (gateway: 136 MB before sixteen hostile clients, 300 MB thirty seconds
/// after, with workstation and server GC alike; docs/reliability.md). The shared array pool lets a large buffer go only
/// when a full collection finds it unused for 30 s since the collection before; the collection that frees it comes
/// after that, and an idle process runs none. A compacting collection on a heap of small live data takes a few tens of
/// milliseconds: at most one per <c>collectAfter</c> units and two per <see cref="PoolTrimDelay"/>, never while work is
/// in flight.
/// </remarks>
public sealed class IdleCollection(InFlightBudget budget, long collectAfter)
{
    /// <summary>
    /// Wait before the collection that returns the shared array pool's idle buffers: a little over the 30 s the pool
    /// waits between the full collection that first sees a buffer unused and the one that lets it go.
    /// </summary>
    private static readonly TimeSpan PoolTrimDelay = TimeSpan.FromSeconds(32);

    private long _sinceCollection;
    private int _poolCollectionScheduled;

    /// <summary>
    /// Counts <paramref name="amount"/> units toward the next collection; disposing the result disposes
    /// <paramref name="lease"/> (taken from the budget) and collects if the budget is then idle.
    /// </summary>
    public IDisposable Track(IDisposable lease, long amount)
    {
        Interlocked.Add(ref _sinceCollection, amount);
        return new CollectingLease(this, lease);
    }

    private void Released()
    {
        if (budget.InFlight != 0 || Interlocked.Read(ref _sinceCollection) == 0)
        {
            return;
        }

        if (Interlocked.Read(ref _sinceCollection) >= collectAfter && Interlocked.Exchange(ref _sinceCollection, 0) >= collectAfter)
        {
            CollectCompacting();
        }

        // Also after less than collectAfter: what came after the last collection of a burst is otherwise kept until
        // the next burst (measured in the embedding service: 110 MB of GC-committed memory a minute after sixteen
        // hostile clients, its large object heap 75 MB against 21 MB before). At most one per PoolTrimDelay.
        if (Interlocked.Exchange(ref _poolCollectionScheduled, 1) == 0)
        {
            _ = CollectWhatPoolsLetGoAsync();
        }
    }

    private async Task CollectWhatPoolsLetGoAsync()
    {
        try
        {
            await Task.Delay(PoolTrimDelay).ConfigureAwait(false);
            while (budget.InFlight != 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            }

            Interlocked.Exchange(ref _sinceCollection, 0);
            CollectCompacting();
            // The pool trims on the finalizer thread after a full collection; the next collection takes what it let go.
            GC.WaitForPendingFinalizers();
            // Aggressive: the GC also gives back the free memory it keeps committed for later allocations (measured in
            // the embedding service: 163 MB committed over a 45-MB heap a minute after sixteen hostile clients, with
            // ConserveMemory too). Next allocations commit again; this runs at most once per PoolTrimDelay.
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }
        finally
        {
            Volatile.Write(ref _poolCollectionScheduled, 0);
        }
    }

    private static void CollectCompacting()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    private sealed class CollectingLease(IdleCollection collection, IDisposable lease) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                lease.Dispose();
                collection.Released();
            }
        }
    }
}
