using System.Buffers;
using System.Collections;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FacePlatform.Identity.Search;

/// <summary>
/// One collection's SimHash codes in memory, searched exhaustively: every face's code is compared with the query's,
/// and the faces of smallest Hamming distance become re-ranking candidates. The scan reads memory at its bandwidth
/// limit, so it reads 3/8 of it: the first 384 bits of every 1024-bit code rank every face, and the nearest
/// <see cref="PoolFor"/> of them by it are ranked by the whole code. 1M faces of 1024-bit codes are 128 MB of codes
/// (+ 16 B of id and ~24 B of id set per face); the first stage reads 48 MB, split across cores (its kernel alone:
/// 1.3–1.7 ms on this 2-core machine, where merely reading 48 MB takes 1.2–2.1 ms; a whole search p50 ~3 ms). No index to build, nothing
/// approximate but the two stages, whose recall at 1M is measured in docs/benchmarks.md (the exact nearest face's rank
/// by 384 bits: p99 19, max 29 of 300 queries; the pool is 2,048).
/// Appends and removals are serialised by the caller (<c>CodeScans</c>); searches run beside them on an immutable
/// snapshot of the arrays (appends write only past the snapshot's count).
/// </summary>
internal sealed class CodeScan
{
    /// <summary>The second stage ranks at least this many faces, and at least this many times what was asked for.</summary>
    private const int MinPool = 2048;
    private const int PoolPerTaken = 4;

    /// <summary>
    /// Collections from this size on have their first stage split across cores (at most <see cref="MaxThreads"/>
    /// threads): one core does not reach the memory bandwidth (1M faces, 512 bits: ~5 ms on one core, ~3.5 ms on two).
    /// </summary>
    private const int SplitFrom = 131_072;
    private const int ChunkRows = 65_536;
    private const int MaxThreads = 4;

    private readonly HashSet<Guid> _present = [];
    private readonly List<int> _removed = [];
    private Rows _rows;

    /// <summary>A scan of <paramref name="bits"/>-bit codes.</summary>
    /// <param name="bits">Code length.</param>
    /// <param name="headBits">
    /// Bits of the first stage, a multiple of 64 (0: 3/8 of the code, rounded up to whole words); benchmarks
    /// compare other widths.
    /// </param>
    public CodeScan(int bits, int headBits = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bits, 1);
        Bits = bits;
        Words = (bits + 63) / 64;
        HeadWords = headBits > 0 ? Math.Clamp(headBits / 64, 1, Words) : ((Words * 3) + 7) / 8;
        TailWords = Words - HeadWords;
        _rows = new Rows(new ulong[HeadWords * 64], new ulong[TailWords * 64], new Guid[64], 0, []);
    }

    /// <summary>Length of the codes.</summary>
    public int Bits { get; }

    /// <summary>64-bit words per code.</summary>
    public int Words { get; }

    /// <summary>Words of a code's first part (the first stage), which ranks every face.</summary>
    private int HeadWords { get; }

    /// <summary>Words of a code's rest, read only for the faces the first part ranks nearest.</summary>
    private int TailWords { get; }

    /// <summary>Faces held, removed ones included until the next full load.</summary>
    public int Count => Volatile.Read(ref _rows).Count;

    /// <summary>Faces removed since the full load (their codes are zeroed and they are never returned).</summary>
    public int Removed => Volatile.Read(ref _rows).Removed.Length;

    /// <summary>Bytes this scan keeps alive (codes, ids, the id set), for the memory budget.</summary>
    public long Bytes
    {
        get
        {
            var rows = Volatile.Read(ref _rows);
            return ((rows.Head.LongLength + rows.Tail.LongLength) * sizeof(ulong)) + (rows.Ids.LongLength * 16) + ((long)_present.Count * 24);
        }
    }

    /// <summary>The collection version the contents reflect (set by the loader).</summary>
    public long Version { get; set; }

    /// <summary>
    /// The oldest transaction still running when the contents were last read (<c>pg_snapshot_xmin</c>): faces written
    /// by any transaction the read did not see carry a write transaction id at least this large.
    /// </summary>
    public long SnapshotXmin { get; set; }

    /// <summary>Faces the second stage ranks by their whole codes when <paramref name="take"/> are asked for.</summary>
    public static int PoolFor(int take) => Math.Max(MinPool, take * PoolPerTaken);

    /// <summary>Packs a code into words: bit i of the code is bit (i mod 64) of word i / 64.</summary>
    public static ulong[] Pack(BitArray code)
    {
        var ints = new int[((code.Length + 63) / 64) * 2];
        code.CopyTo(ints, 0);
        return MemoryMarshal.Cast<int, ulong>(ints).ToArray();
    }

    /// <summary>Adds a face unless it is held already; returns whether it was added.</summary>
    public bool Add(Guid id, BitArray code)
    {
        if (code.Length != Bits)
        {
            throw new ArgumentException($"expected a {Bits}-bit code, got {code.Length} bits", nameof(code));
        }

        if (!_present.Add(id))
        {
            return false;
        }

        var rows = _rows;
        var (head, tail, ids) = (rows.Head, rows.Tail, rows.Ids);
        if (rows.Count == ids.Length)
        {
            // Searches on the old snapshot keep reading the old arrays; this one gets copies with room to grow.
            ids = new Guid[ids.Length * 2];
            head = new ulong[ids.Length * HeadWords];
            tail = new ulong[ids.Length * TailWords];
            Array.Copy(rows.Ids, ids, rows.Count);
            Array.Copy(rows.Head, head, (long)rows.Count * HeadWords);
            Array.Copy(rows.Tail, tail, (long)rows.Count * TailWords);
        }

        var words = Pack(code);
        words.AsSpan(0, HeadWords).CopyTo(head.AsSpan(rows.Count * HeadWords, HeadWords));
        words.AsSpan(HeadWords).CopyTo(tail.AsSpan(rows.Count * TailWords, TailWords));
        ids[rows.Count] = id;
        Volatile.Write(ref _rows, rows with { Head = head, Tail = tail, Ids = ids, Count = rows.Count + 1 });
        return true;
    }

    /// <summary>Forgets faces deleted from the collection: their codes are zeroed and searches skip them.</summary>
    public void Remove(IReadOnlyCollection<Guid> faces)
    {
        var gone = new HashSet<Guid>(faces);
        gone.IntersectWith(_present);
        if (gone.Count == 0)
        {
            return;
        }

        var rows = _rows;
        for (var i = 0; i < rows.Count; i++)
        {
            if (gone.Contains(rows.Ids[i]))
            {
                _removed.Add(i);
                rows.Head.AsSpan(i * HeadWords, HeadWords).Clear();
                rows.Tail.AsSpan(i * TailWords, TailWords).Clear();
            }
        }

        _present.ExceptWith(gone);
        Volatile.Write(ref _rows, rows with { Removed = [.. _removed] });
    }

    /// <summary>
    /// Ids of the <paramref name="take"/> faces whose codes are nearest to <paramref name="query"/> (a code packed by
    /// <see cref="Pack"/>), nearest first, among the <see cref="PoolFor"/> faces nearest by the codes' first parts;
    /// ties are taken in storage order. When the collection holds no more faces than the pool, this is the exact
    /// ranking by the whole code.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // fully optimised from the first search, not after tiering
    public Guid[] Nearest(ReadOnlySpan<ulong> query, int take)
    {
        if (query.Length != Words)
        {
            throw new ArgumentException($"expected {Words} words, got {query.Length}", nameof(query));
        }

        var rows = Volatile.Read(ref _rows);
        var count = rows.Count;
        var live = count - rows.Removed.Length;
        take = Math.Min(take, live);
        if (take <= 0)
        {
            return [];
        }

        var distances = ArrayPool<ushort>.Shared.Rent(count);
        try
        {
            var histogram = FirstStage(rows.Head, query[..HeadWords].ToArray(), distances, count);

            // Removed faces get a distance past any real one, so they are never taken.
            var past = (ushort)(Bits + 1);
            foreach (var removed in rows.Removed)
            {
                histogram[distances[removed]]--;
                histogram[past]++;
                distances[removed] = past;
            }

            var pool = Select(distances.AsSpan(0, count), histogram, TailWords == 0 ? take : Math.Min(live, PoolFor(take)));
            var ranked = new (int Distance, int Position)[pool.Length];
            var queryTail = query[HeadWords..];
            for (var i = 0; i < pool.Length; i++)
            {
                var position = pool[i];
                var tail = rows.Tail.AsSpan(position * TailWords, TailWords);
                var distance = (int)distances[position];
                for (var w = 0; w < TailWords; w++)
                {
                    distance += BitOperations.PopCount(tail[w] ^ queryTail[w]);
                }

                ranked[i] = (distance, position);
            }

            Array.Sort(ranked);
            var nearest = new Guid[take];
            for (var i = 0; i < take; i++)
            {
                nearest[i] = rows.Ids[ranked[i].Position];
            }

            return nearest;
        }
        finally
        {
            ArrayPool<ushort>.Shared.Return(distances);
        }
    }

    /// <summary>
    /// The <paramref name="take"/> positions of smallest distance: distances are small integers (0 … bits), so their
    /// histogram gives the cut distance, and one pass collects everything below it and the first ties at it in storage
    /// order, skipping 16 distances at a time where none reaches the cut (nearly all of them).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int[] Select(ReadOnlySpan<ushort> distances, int[] histogram, int take)
    {
        var cut = 0;
        var below = 0;
        while (below + histogram[cut] < take)
        {
            below += histogram[cut];
            cut++;
        }

        var tiesLeft = take - below;
        var taken = new int[take];
        var n = 0;
        var cutVector = Vector256.Create((ushort)cut);
        var i = 0;
        for (; i + Vector256<ushort>.Count <= distances.Length && n < take; i += Vector256<ushort>.Count)
        {
            if (Vector256.LessThanOrEqualAny(Vector256.Create(distances.Slice(i, Vector256<ushort>.Count)), cutVector))
            {
                for (var j = i; j < i + Vector256<ushort>.Count && n < take; j++)
                {
                    Take(distances[j], j);
                }
            }
        }

        for (; i < distances.Length && n < take; i++)
        {
            Take(distances[i], i);
        }

        return taken;

        void Take(ushort distance, int position)
        {
            if (distance < cut || (distance == cut && tiesLeft-- > 0))
            {
                taken[n++] = position;
            }
        }
    }

    /// <summary>
    /// Distances of the first <paramref name="count"/> rows' first parts to the query's, and their histogram; large
    /// collections in parts on several cores (the calling thread takes part; each part counts its own histogram).
    /// </summary>
    private int[] FirstStage(ulong[] codes, ulong[] query, ushort[] distances, int count)
    {
        if (count < SplitFrom)
        {
            var histogram = new int[Bits + 2];
            Distances(codes, query, distances, histogram, 0, count);
            return histogram;
        }

        // Chunks of 64k rows shared out as threads come free, so a core taken by another process slows the scan by
        // its chunk, not by half of it.
        var parts = (count + ChunkRows - 1) / ChunkRows;
        var histograms = new int[parts][];
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = MaxThreads }, part =>
        {
            histograms[part] = new int[Bits + 2];
            Distances(codes, query, distances, histograms[part], part * ChunkRows, Math.Min(count, (part + 1) * ChunkRows));
        });
        for (var part = 1; part < parts; part++)
        {
            for (var i = 0; i < histograms[0].Length; i++)
            {
                histograms[0][i] += histograms[part][i];
            }
        }

        return histograms[0];
    }

    /// <summary>Distances of rows <paramref name="from"/> to <paramref name="to"/> (first parts), and their histogram.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Distances(ulong[] codes, ulong[] query, ushort[] distances, int[] histogram, int from, int to)
    {
        var words = query.Length;
        if (words == 6)
        {
            Distances384(codes, query, distances, histogram, from, to);
            return;
        }

        for (var row = from; row < to; row++)
        {
            var code = codes.AsSpan(row * words, words);
            var distance = 0;
            for (var w = 0; w < words; w++)
            {
                distance += BitOperations.PopCount(code[w] ^ query[w]);
            }

            distances[row] = (ushort)distance;
            histogram[distance]++;
        }
    }

    /// <summary>
    /// First stages of 384 bits (the default for 1024-bit codes): two rows per step, read through references (no
    /// span and bounds check per row), each row of a pair counted in its own histogram — consecutive rows mostly
    /// share a distance, and one histogram made every increment wait for the previous one's store. Near the memory
    /// bandwidth on two cores (docs/benchmarks.md).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Distances384(ulong[] codes, ulong[] query, ushort[] distances, int[] histogram, int from, int to)
    {
        var (q0, q1, q2, q3, q4, q5) = (query[0], query[1], query[2], query[3], query[4], query[5]);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((long)to * 6, codes.LongLength, nameof(to));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(to, distances.Length, nameof(to));
        Span<int> odd = stackalloc int[histogram.Length];
        odd.Clear();
        ref var first = ref MemoryMarshal.GetArrayDataReference(codes);
        ref var distance = ref MemoryMarshal.GetArrayDataReference(distances);
        ref var even = ref MemoryMarshal.GetArrayDataReference(histogram);
        ref var oddCounts = ref MemoryMarshal.GetReference(odd);
        var row = from;
        for (; row + 2 <= to; row += 2)
        {
            ref var c = ref Unsafe.Add(ref first, (nint)row * 6);
            var a = BitOperations.PopCount(c ^ q0) + BitOperations.PopCount(Unsafe.Add(ref c, 1) ^ q1) +
                BitOperations.PopCount(Unsafe.Add(ref c, 2) ^ q2) + BitOperations.PopCount(Unsafe.Add(ref c, 3) ^ q3) +
                BitOperations.PopCount(Unsafe.Add(ref c, 4) ^ q4) + BitOperations.PopCount(Unsafe.Add(ref c, 5) ^ q5);
            var b = BitOperations.PopCount(Unsafe.Add(ref c, 6) ^ q0) + BitOperations.PopCount(Unsafe.Add(ref c, 7) ^ q1) +
                BitOperations.PopCount(Unsafe.Add(ref c, 8) ^ q2) + BitOperations.PopCount(Unsafe.Add(ref c, 9) ^ q3) +
                BitOperations.PopCount(Unsafe.Add(ref c, 10) ^ q4) + BitOperations.PopCount(Unsafe.Add(ref c, 11) ^ q5);
            Unsafe.Add(ref distance, row) = (ushort)a;
            Unsafe.Add(ref distance, row + 1) = (ushort)b;
            Unsafe.Add(ref even, a)++;
            Unsafe.Add(ref oddCounts, b)++;
        }

        for (; row < to; row++)
        {
            var c = codes.AsSpan(row * 6, 6);
            var a = BitOperations.PopCount(c[0] ^ q0) + BitOperations.PopCount(c[1] ^ q1) + BitOperations.PopCount(c[2] ^ q2) +
                BitOperations.PopCount(c[3] ^ q3) + BitOperations.PopCount(c[4] ^ q4) + BitOperations.PopCount(c[5] ^ q5);
            distances[row] = (ushort)a;
            histogram[a]++;
        }

        for (var i = 0; i < histogram.Length; i++)
        {
            histogram[i] += odd[i];
        }
    }

    /// <summary>What a search reads: the arrays, how much of them is filled, and the removed positions.</summary>
    private sealed record Rows(ulong[] Head, ulong[] Tail, Guid[] Ids, int Count, int[] Removed);
}
