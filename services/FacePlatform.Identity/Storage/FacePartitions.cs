namespace FacePlatform.Identity.Storage;

/// <summary>
/// Faces are LIST-partitioned by collection: each collection owns one partition with its own HNSW index on
/// <c>embedding::halfvec(dimension)</c>. A search reads only its collection's index, so its cost does not grow with
/// other tenants' faces (a shared index filtered by <c>WHERE collection</c> returned fewer rows than asked, often none,
/// and pgvector 0.8's iterative scans cost ~45 ms beside 990k other faces; a per-collection index answered in ~1 ms —
/// docs/benchmarks.md). Deleting a collection drops its partition, which removes its vectors from disk at once.
/// The SQL function <c>fp_create_face_partition</c> comes from the PartitionedFaces migration.
/// </summary>
internal static class FacePartitions
{
    /// <summary>The partition of a collection: <c>faces_</c> + the id's 32 hex digits (safe to inline in SQL).</summary>
    public static string TableName(Guid collection) => $"faces_{collection:N}";

    /// <summary>The HNSW index of a collection's partition.</summary>
    public static string IndexName(Guid collection) => $"faces_{collection:N}_hnsw";

    /// <summary>Creates the partition and its index (inside the caller's transaction).</summary>
    public static FormattableString Create(Guid collection, int dimension, int m, int efConstruction) =>
        $"SELECT fp_create_face_partition({collection}, {dimension}, {m}, {efConstruction})";

    /// <summary>Drops the partition with every vector of the collection.</summary>
    public static string Drop(Guid collection) => $"DROP TABLE IF EXISTS {TableName(collection)}";
}
