using System.Buffers;
using System.Collections;
using System.Numerics;
using System.Runtime.InteropServices;

namespace FacePlatform.Identity.Search;

/// <summary>
/// One collection's SimHash codes in memory, searched exhaustively: the exact Hamming distance of a query's code to
/// every face's code, and the faces of smallest distance as re-ranking candidates. 1M faces of 1024-bit codes are
/// 128 MB of codes (+ 16 B of id and ~24 B of id set per face) and one scan reads them all (~5 ms on one core here,
/// docs/benchmarks.md) — no approximate index, so no recall lost before re-ranking, and nothing to build.
/// Appends and removals are serialised by the caller (<see cref="CodeScans"/>); searches run beside them on an
/// immutable snapshot of the arrays (appends write only past the snapshot's count).
/// </summary>
internal sealed class CodeScan
{
    /// <summary>Rows per parallel part of a scan; smaller scans run on the caller's thread.</summary>
    private const int PartRows = 1 << 16;

    private readonly HashSet<Guid> _present = [];
    private readonly List<int> _removed = [];
    private Rows _rows;

    public CodeScan(int bits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bits, 1);
        Bits = bits;
        Words = (bits + 63) / 64;
        _rows = new Rows(new ulong[Words * 64], new Guid[64], 0, []);
    }

    /// <summary>Length of the codes.</summary>
    public int Bits { get; }

    /// <summary>64-bit words per code.</summary>
    public int Words { get; }

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
            return (rows.Codes.LongLength * sizeof(ulong)) + (rows.Ids.LongLength * 16) + ((long)_present.Count * 24);
        }
    }

    /// <summary>The collection version the contents reflect (set by the loader).</summary>
    public long Version { get; set; }

    /// <summary>
    /// The oldest transaction still running when the contents were last read (<c>pg_snapshot_xmin</c>): faces written
    /// by any transaction the read did not see carry a write transaction id at least this large.
    /// </summary>
    public long SnapshotXmin { get; set; }

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
        var codes = rows.Codes;
        var ids = rows.Ids;
        if (rows.Count == ids.Length)
        {
            // Searches on the old snapshot keep reading the old arrays; this one gets copies with room to grow.
            ids = new Guid[ids.Length * 2];
            codes = new ulong[ids.Length * Words];
            Array.Copy(rows.Ids, ids, rows.Count);
            Array.Copy(rows.Codes, codes, (long)rows.Count * Words);
        }

        Pack(code).CopyTo(codes.AsSpan(rows.Count * Words, Words));
        ids[rows.Count] = id;
        Volatile.Write(ref _rows, rows with { Codes = codes, Ids = ids, Count = rows.Count + 1 });
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
                rows.Codes.AsSpan(i * Words, Words).Clear();
            }
        }

        _present.ExceptWith(gone);
        Volatile.Write(ref _rows, rows with { Removed = [.. _removed] });
    }

    /// <summary>
    /// Ids of the <paramref name="take"/> faces whose codes are nearest to <paramref name="query"/> (a code packed by
    /// <see cref="Pack"/>), nearest first; ties at the cut are taken in storage order.
    /// </summary>
    public Guid[] Nearest(ReadOnlySpan<ulong> query, int take)
    {
        if (query.Length != Words)
        {
            throw new ArgumentException($"expected {Words} words, got {query.Length}", nameof(query));
        }

        var rows = Volatile.Read(ref _rows);
        var count = rows.Count;
        take = Math.Min(take, count - rows.Removed.Length);
        if (take <= 0)
        {
            return [];
        }

        var distances = ArrayPool<ushort>.Shared.Rent(count);
        try
        {
            var queryWords = query.ToArray();
            if (count <= PartRows)
            {
                Distances(rows.Codes, queryWords, distances, 0, count);
            }
            else
            {
                var parts = (count + PartRows - 1) / PartRows;
                Parallel.For(0, parts, part =>
                    Distances(rows.Codes, queryWords, distances, part * PartRows, Math.Min(count, (part + 1) * PartRows)));
            }

            // Removed faces get a distance past any real one, so they are never taken.
            var past = (ushort)(Bits + 1);
            foreach (var removed in rows.Removed)
            {
                distances[removed] = past;
            }

            return Select(distances.AsSpan(0, count), rows.Ids, take, Bits);
        }
        finally
        {
            ArrayPool<ushort>.Shared.Return(distances);
        }
    }

    /// <summary>
    /// The <paramref name="take"/> positions of smallest distance by a counting pass: distances are small integers
    /// (0 … bits), so a histogram finds the cut distance, and one more pass collects everything below it and the first
    /// ties at it; the few taken are then sorted.
    /// </summary>
    private static Guid[] Select(ReadOnlySpan<ushort> distances, Guid[] ids, int take, int bits)
    {
        var histogram = new int[bits + 2];
        foreach (var distance in distances)
        {
            histogram[distance]++;
        }

        var cut = 0;
        var below = 0;
        while (below + histogram[cut] < take)
        {
            below += histogram[cut];
            cut++;
        }

        var tiesLeft = take - below;
        var taken = new (ushort Distance, int Position)[take];
        var n = 0;
        for (var i = 0; i < distances.Length && n < take; i++)
        {
            var distance = distances[i];
            if (distance < cut || (distance == cut && tiesLeft-- > 0))
            {
                taken[n++] = (distance, i);
            }
        }

        Array.Sort(taken, (a, b) => a.Distance != b.Distance ? a.Distance.CompareTo(b.Distance) : a.Position.CompareTo(b.Position));
        return taken.Select(t => ids[t.Position]).ToArray();
    }

    private static void Distances(ulong[] codes, ulong[] query, ushort[] distances, int start, int end)
    {
        var words = query.Length;
        if (words == 16)
        {
            Distances1024(codes, query, distances, start, end);
            return;
        }

        for (var row = start; row < end; row++)
        {
            var code = codes.AsSpan(row * words, words);
            var distance = 0;
            for (var w = 0; w < words; w++)
            {
                distance += BitOperations.PopCount(code[w] ^ query[w]);
            }

            distances[row] = (ushort)distance;
        }
    }

    /// <summary>The default 1024-bit codes, unrolled: ~35 % faster than the loop above on this machine.</summary>
    private static void Distances1024(ulong[] codes, ulong[] query, ushort[] distances, int start, int end)
    {
        var q = query.AsSpan(0, 16);
        for (var row = start; row < end; row++)
        {
            var c = codes.AsSpan(row * 16, 16);
            distances[row] = (ushort)(
                BitOperations.PopCount(c[0] ^ q[0]) + BitOperations.PopCount(c[1] ^ q[1]) +
                BitOperations.PopCount(c[2] ^ q[2]) + BitOperations.PopCount(c[3] ^ q[3]) +
                BitOperations.PopCount(c[4] ^ q[4]) + BitOperations.PopCount(c[5] ^ q[5]) +
                BitOperations.PopCount(c[6] ^ q[6]) + BitOperations.PopCount(c[7] ^ q[7]) +
                BitOperations.PopCount(c[8] ^ q[8]) + BitOperations.PopCount(c[9] ^ q[9]) +
                BitOperations.PopCount(c[10] ^ q[10]) + BitOperations.PopCount(c[11] ^ q[11]) +
                BitOperations.PopCount(c[12] ^ q[12]) + BitOperations.PopCount(c[13] ^ q[13]) +
                BitOperations.PopCount(c[14] ^ q[14]) + BitOperations.PopCount(c[15] ^ q[15]));
        }
    }

    /// <summary>What a search reads: the arrays, how much of them is filled, and the removed positions.</summary>
    private sealed record Rows(ulong[] Codes, Guid[] Ids, int Count, int[] Removed);
}
