namespace FacePlatform.Identity.Storage;

/// <summary>
/// Faces are LIST-partitioned by collection: each collection owns one partition with its own HNSW index on the faces'
/// SimHash codes, <c>code::bit(code_bits)</c> with Hamming distance (<c>bit_hamming_ops</c>). A search walks only its
/// collection's index for candidates and re-ranks them by the exact cosine of the stored embeddings, so its cost does
/// not grow with other tenants' faces (a shared index filtered by <c>WHERE collection</c> returned fewer rows than
/// asked, often none, and pgvector 0.8's iterative scans cost ~45 ms beside 990k other faces; a per-collection index
/// answered in ~1 ms — docs/benchmarks.md). Deleting a collection drops its partition, which removes its vectors from
/// disk at once. The SQL function <c>fp_create_face_partition</c> comes from the BinaryCodes migration; it is the one
/// definition of a partition's index (the benchmark calls it too); with <c>m</c> 0 (Identity:HnswM, OptionalCodeIndex
/// migration) the partition gets no code index and its collection is searched by the in-memory scan alone.
/// </summary>
internal static class FacePartitions
{
    /// <summary>The partition of a collection: <c>faces_</c> + the id's 32 hex digits (safe to inline in SQL).</summary>
    public static string TableName(Guid collection) => $"faces_{collection:N}";

    /// <summary>The HNSW index on the codes of a collection's partition.</summary>
    public static string IndexName(Guid collection) => $"faces_{collection:N}_codes";

    /// <summary>Creates the partition and, unless <paramref name="m"/> is 0, its code index (inside the caller's transaction).</summary>
    public static FormattableString Create(Guid collection, int codeBits, int m, int efConstruction) =>
        $"SELECT fp_create_face_partition({collection}, {codeBits}, {m}, {efConstruction})";

    /// <summary>Drops the partition with every vector of the collection.</summary>
    public static string Drop(Guid collection) => $"DROP TABLE IF EXISTS {TableName(collection)}";
}
