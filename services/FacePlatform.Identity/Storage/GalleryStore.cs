using System.Collections;
using FacePlatform.Identity.Search;
using FacePlatform.Identity.Validation;
using Npgsql;
using NpgsqlTypes;
using Pgvector;

namespace FacePlatform.Identity.Storage;

/// <summary>What a face-level operation needs to know of its collection.</summary>
internal sealed record CollectionInfo(Guid Id, string ModelId, int Dimension, int CodeBits, long Version, long FaceCount)
{
    /// <summary>The SimHash that makes this collection's codes.</summary>
    public SimHash Hash => SimHash.For(Dimension, CodeBits);
}

/// <summary>A checked face of an Enroll request, ready to store.</summary>
internal sealed record FaceToStore(HalfVector Embedding, BitArray Code, float Quality, float BoxX, float BoxY, float BoxWidth, float BoxHeight, string ImageSha256);

/// <summary>A stored face, without its vector.</summary>
internal sealed record StoredFace(Guid Id, Guid SubjectId, string ModelId, float Quality, float BoxX, float BoxY, float BoxWidth, float BoxHeight, string ImageSha256, DateTimeOffset CreatedAt);

/// <summary>
/// What a read of a collection's codes saw: its version and face count, and the oldest transaction still running then
/// (<c>pg_snapshot_xmin</c> of the read's snapshot).
/// </summary>
internal sealed record CodeRead(long Version, long FaceCount, long SnapshotXmin);

/// <summary>What an enrolment did.</summary>
internal sealed record EnrollOutcome(IReadOnlyList<StoredFace> Faces, int Added, int Duplicates, long Version);

/// <summary>
/// Faces in PostgreSQL through plain Npgsql, where EF Core has nothing to add: binary COPY for enrolment, batched
/// candidate-and-re-rank queries for search. Every statement names its collection, so PostgreSQL reads one partition.
/// </summary>
internal sealed class GalleryStore(NpgsqlDataSource dataSource, TenantQuotas quotas)
{
    /// <summary>The pool this store's statements use.</summary>
    public NpgsqlDataSource DataSource => dataSource;

    private const string FaceColumns = "\"Id\", \"SubjectId\", \"ModelId\", \"Quality\", \"BoxX\", \"BoxY\", \"BoxWidth\", \"BoxHeight\", \"ImageSha256\", \"CreatedAt\"";

    /// <summary>The collection if it exists and belongs to the tenant.</summary>
    public async Task<CollectionInfo?> FindCollectionAsync(Guid tenant, Guid collection, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT \"ModelId\", \"Dimension\", \"CodeBits\", \"Version\", \"FaceCount\" FROM collections WHERE \"Id\" = $1 AND \"TenantId\" = $2");
        command.Parameters.Add(new() { Value = collection });
        command.Parameters.Add(new() { Value = tenant });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new CollectionInfo(collection, reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt64(3), reader.GetInt64(4))
            : null;
    }

    /// <summary>Every collection that holds faces, across tenants, largest first (for the scan warm-up).</summary>
    public async Task<List<CollectionInfo>> ListCollectionsWithFacesAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT \"Id\", \"ModelId\", \"Dimension\", \"CodeBits\", \"Version\", \"FaceCount\" FROM collections " +
            "WHERE \"FaceCount\" > 0 ORDER BY \"FaceCount\" DESC");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var collections = new List<CollectionInfo>();
        while (await reader.ReadAsync(cancellationToken))
        {
            collections.Add(new CollectionInfo(
                reader.GetGuid(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetInt64(4), reader.GetInt64(5)));
        }

        return collections;
    }

    /// <summary>
    /// Adds faces to a subject in one transaction, skipping those already enrolled: a replayed request id returns the
    /// faces it added before, and a photo hash the subject already has is not added again. Returns null when the
    /// subject is not in the collection. Committed (synchronous commit) before it returns.
    /// </summary>
    public async Task<EnrollOutcome?> EnrollAsync(
        Guid tenant, CollectionInfo collection, Guid subject, string requestId, IReadOnlyList<FaceToStore> faces,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockRows = new NpgsqlBatch(connection, transaction))
        {
            // Enrolments of one subject take turns (so two retries cannot both add a face); enrolments of different
            // subjects run side by side and meet only at the version bump just before COMMIT.
            var lockSubject = new NpgsqlBatchCommand(
                "SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0)) FROM subjects s " +
                "JOIN collections c ON c.\"Id\" = s.\"CollectionId\" " +
                "WHERE s.\"Id\" = $1 AND s.\"CollectionId\" = $2 AND c.\"TenantId\" = $3 FOR SHARE OF s");
            lockSubject.Parameters.Add(new() { Value = subject });
            lockSubject.Parameters.Add(new() { Value = collection.Id });
            lockSubject.Parameters.Add(new() { Value = tenant });
            lockRows.BatchCommands.Add(lockSubject);
            await using var reader = await lockRows.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }
        }

        var hashes = faces.Select(f => f.ImageSha256).Where(h => h.Length > 0).Distinct(StringComparer.Ordinal).ToArray();
        var existing = new List<(StoredFace Face, string? RequestId)>();
        await using (var find = new NpgsqlCommand(
            $"SELECT {FaceColumns}, \"RequestId\" FROM faces WHERE \"CollectionId\" = $1 AND \"SubjectId\" = $2 " +
            "AND ((\"RequestId\" = $3 AND $3 <> '') OR \"ImageSha256\" = ANY($4)) ORDER BY \"Id\"", connection, transaction))
        {
            find.Parameters.Add(new() { Value = collection.Id });
            find.Parameters.Add(new() { Value = subject });
            find.Parameters.Add(new() { Value = requestId });
            find.Parameters.Add(new() { Value = hashes });
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                existing.Add((ReadFace(reader), reader.IsDBNull(10) ? null : reader.GetString(10)));
            }
        }

        if (requestId.Length > 0 && existing.Any(e => e.RequestId == requestId))
        {
            var replayed = existing.Where(e => e.RequestId == requestId).Select(e => e.Face).ToList();
            return new EnrollOutcome(replayed, 0, faces.Count, collection.Version);
        }

        var known = existing.ToDictionary(e => e.Face.ImageSha256, e => e.Face, StringComparer.Ordinal);
        var answer = new List<StoredFace>(faces.Count);
        var added = new List<StoredFace>(faces.Count);
        var toCopy = new List<FaceToStore>(faces.Count);
        var now = DateTimeOffset.UtcNow;
        foreach (var face in faces)
        {
            if (face.ImageSha256.Length > 0 && known.TryGetValue(face.ImageSha256, out var already))
            {
                answer.Add(already);
                continue;
            }

            var stored = new StoredFace(Guid.CreateVersion7(now), subject, collection.ModelId, face.Quality,
                face.BoxX, face.BoxY, face.BoxWidth, face.BoxHeight, face.ImageSha256, now);
            if (face.ImageSha256.Length > 0)
            {
                known[face.ImageSha256] = stored;
            }

            answer.Add(stored);
            added.Add(stored);
            toCopy.Add(face);
        }

        if (added.Count > 0)
        {
            // Binary COPY: one round trip for the whole batch instead of one INSERT per face.
            await using var importer = await connection.BeginBinaryImportAsync(
                "COPY faces (\"Id\", \"TenantId\", \"CollectionId\", \"SubjectId\", \"ModelId\", \"Embedding\", \"Code\", \"Quality\", " +
                "\"BoxX\", \"BoxY\", \"BoxWidth\", \"BoxHeight\", \"ImageSha256\", \"RequestId\", \"CreatedAt\") FROM STDIN (FORMAT BINARY)",
                cancellationToken);
            for (var i = 0; i < added.Count; i++)
            {
                var face = added[i];
                await importer.StartRowAsync(cancellationToken);
                await importer.WriteAsync(face.Id, NpgsqlDbType.Uuid, cancellationToken);
                await importer.WriteAsync(tenant, NpgsqlDbType.Uuid, cancellationToken);
                await importer.WriteAsync(collection.Id, NpgsqlDbType.Uuid, cancellationToken);
                await importer.WriteAsync(subject, NpgsqlDbType.Uuid, cancellationToken);
                await importer.WriteAsync(face.ModelId, NpgsqlDbType.Varchar, cancellationToken);
                await importer.WriteAsync(toCopy[i].Embedding, "halfvec", cancellationToken);
                await importer.WriteAsync(toCopy[i].Code, NpgsqlDbType.Varbit, cancellationToken);
                await importer.WriteAsync(face.Quality, NpgsqlDbType.Real, cancellationToken);
                await importer.WriteAsync(face.BoxX, NpgsqlDbType.Real, cancellationToken);
                await importer.WriteAsync(face.BoxY, NpgsqlDbType.Real, cancellationToken);
                await importer.WriteAsync(face.BoxWidth, NpgsqlDbType.Real, cancellationToken);
                await importer.WriteAsync(face.BoxHeight, NpgsqlDbType.Real, cancellationToken);
                await importer.WriteAsync(face.ImageSha256, NpgsqlDbType.Varchar, cancellationToken);
                if (requestId.Length > 0)
                {
                    await importer.WriteAsync(requestId, NpgsqlDbType.Varchar, cancellationToken);
                }
                else
                {
                    await importer.WriteNullAsync(cancellationToken);
                }

                await importer.WriteAsync(face.CreatedAt, NpgsqlDbType.TimestampTz, cancellationToken);
            }

            await importer.CompleteAsync(cancellationToken);
        }

        if (added.Count > 0)
        {
            await quotas.CheckAsync(connection, transaction, tenant, new QuotaUse(Faces: added.Count), cancellationToken);
        }

        var version = added.Count > 0
            ? await BumpAsync(connection, transaction, collection.Id, 0, added.Count, cancellationToken)
            : collection.Version;
        await transaction.CommitAsync(cancellationToken);
        return new EnrollOutcome(answer, added.Count, faces.Count - added.Count, version);
    }

    /// <summary>
    /// The <paramref name="limit"/> nearest faces of each query, with their subjects; all queries in one round trip.
    /// The collection's HNSW index on the SimHash codes gives the <paramref name="rerank"/> faces of smallest Hamming
    /// distance to the query's code, and the exact cosine distance of their stored embeddings orders them.
    /// </summary>
    public async Task<List<FaceCandidate>[]> NearestAsync(
        CollectionInfo collection, IReadOnlyList<HalfVector> queries, int limit, int rerank, int efSearch, int ivfProbes,
        CancellationToken cancellationToken)
    {
        rerank = Math.Max(rerank, limit);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        // Session-level on purpose: every search sets it first, and SET LOCAL would need a transaction (two more
        // statements) around each search. pgvector's ef_search stops at 1000, and a scan returns at most ef_search rows.
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"SET hnsw.ef_search = {Math.Min(1000, Math.Max(efSearch, rerank))}"));
        if (ivfProbes > 0)
        {
            // Only for partitions whose code index an operator rebuilt as IVFFlat (docs/benchmarks.md).
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"SET ivfflat.probes = {ivfProbes}"));
        }

        var dimension = collection.Dimension;
        var bits = collection.CodeBits;
        var hash = collection.Hash;
        foreach (var query in queries)
        {
            // The cosine is computed only for the rows the code index returns (the projection runs below the LIMIT).
            var command = new NpgsqlBatchCommand(
                $"""
                WITH candidates AS MATERIALIZED (
                  SELECT "Id", "SubjectId", "Embedding"::halfvec({dimension}) <=> $1::halfvec({dimension}) AS distance
                  FROM faces WHERE "CollectionId" = $2
                  ORDER BY "Code"::bit({bits}) <~> $4::bit({bits}) LIMIT $5),
                nearest AS MATERIALIZED (
                  SELECT "Id", "SubjectId", distance FROM candidates ORDER BY distance LIMIT $3)
                SELECT n."Id", n."SubjectId", s."ExternalId", s."DisplayName", 1 - n.distance
                FROM nearest n JOIN subjects s ON s."Id" = n."SubjectId"
                ORDER BY n.distance
                """);
            command.Parameters.Add(new() { Value = query, DataTypeName = "halfvec" });
            command.Parameters.Add(new() { Value = collection.Id });
            command.Parameters.Add(new() { Value = limit });
            command.Parameters.Add(new() { Value = hash.Code(query.Memory.Span), NpgsqlDbType = NpgsqlDbType.Varbit });
            command.Parameters.Add(new() { Value = rerank });
            batch.BatchCommands.Add(command);
        }

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        return await ReadCandidatesAsync(reader, queries.Count, limit, cancellationToken);
    }

    /// <summary>The answers of a batch of per-query candidate statements, one result set per query.</summary>
    private static async Task<List<FaceCandidate>[]> ReadCandidatesAsync(NpgsqlDataReader reader, int queries, int limit, CancellationToken cancellationToken)
    {
        var results = new List<FaceCandidate>[queries];
        for (var q = 0; q < queries; q++)
        {
            // The reader starts on the first statement that returns rows (SET returns none).
            if (q > 0)
            {
                await reader.NextResultAsync(cancellationToken);
            }

            var found = new List<FaceCandidate>(limit);
            while (await reader.ReadAsync(cancellationToken))
            {
                found.Add(new FaceCandidate(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3),
                    (float)reader.GetDouble(4)));
            }

            results[q] = found;
        }

        return results;
    }

    /// <summary>
    /// The <paramref name="limit"/> faces of each query's <paramref name="candidates"/> (ids chosen from the in-memory
    /// codes, <see cref="CodeScans"/>) most similar by the exact cosine of their stored embeddings, with their subjects;
    /// all queries in one round trip. A candidate deleted since the codes were read is simply not found.
    /// </summary>
    public async Task<List<FaceCandidate>[]> RerankAsync(
        CollectionInfo collection, IReadOnlyList<HalfVector> queries, IReadOnlyList<Guid[]> candidates, int limit,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        var dimension = collection.Dimension;
        for (var q = 0; q < queries.Count; q++)
        {
            var command = new NpgsqlBatchCommand(
                $"""
                WITH nearest AS MATERIALIZED (
                  SELECT "Id", "SubjectId", "Embedding"::halfvec({dimension}) <=> $1::halfvec({dimension}) AS distance
                  FROM faces WHERE "CollectionId" = $2 AND "Id" = ANY($4)
                  ORDER BY distance LIMIT $3)
                SELECT n."Id", n."SubjectId", s."ExternalId", s."DisplayName", 1 - n.distance
                FROM nearest n JOIN subjects s ON s."Id" = n."SubjectId"
                ORDER BY n.distance
                """);
            command.Parameters.Add(new() { Value = queries[q], DataTypeName = "halfvec" });
            command.Parameters.Add(new() { Value = collection.Id });
            command.Parameters.Add(new() { Value = limit });
            command.Parameters.Add(new() { Value = candidates[q] });
            batch.BatchCommands.Add(command);
        }

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        return await ReadCandidatesAsync(reader, queries.Count, limit, cancellationToken);
    }

    /// <summary>
    /// The faces' codes of a collection ($1) written from a transaction id ($2) on: an index-only scan of
    /// <c>IX_faces_CollectionId_Xid</c>, which includes the ids and codes (migration FaceWriteXid).
    /// </summary>
    internal const string CodesSql = "SELECT \"Id\", \"Code\" FROM faces WHERE \"CollectionId\" = $1 AND \"Code\" IS NOT NULL AND \"Xid\" >= $2";

    /// <summary>
    /// Reads a collection's face codes into <paramref name="onFace"/>: all of them, or with <paramref name="sinceXid"/>
    /// only those written by transactions from that id on (a superset of those an earlier read whose snapshot xmin it
    /// is did not see: every transaction invisible to a snapshot has an id at least its xmin). One repeatable-read
    /// snapshot, so the version, count and rows agree. Null when the collection is gone.
    /// </summary>
    public async Task<CodeRead?> ReadCodesAsync(Guid collection, long? sinceXid, Action<Guid, BitArray> onFace, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        CodeRead read;
        await using (var state = new NpgsqlCommand(
            "SELECT \"Version\", \"FaceCount\", pg_snapshot_xmin(pg_current_snapshot())::text::bigint FROM collections WHERE \"Id\" = $1",
            connection, transaction))
        {
            state.Parameters.Add(new() { Value = collection });
            await using var reader = await state.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            read = new CodeRead(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        }

        await using (var faces = new NpgsqlCommand(CodesSql, connection, transaction))
        {
            faces.Parameters.Add(new() { Value = collection });
            faces.Parameters.Add(new() { Value = sinceXid ?? long.MinValue });
            await using var reader = await faces.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                onFace(reader.GetGuid(0), reader.GetFieldValue<BitArray>(1));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return read;
    }

    /// <summary>
    /// Computes the codes of faces stored without one (before the BinaryCodes migration), a page at a time per
    /// collection; returns how many it filled. The codes come from the stored half-precision embeddings, exactly as
    /// enrolment makes them.
    /// </summary>
    public async Task<long> BackfillCodesAsync(int pageSize, CancellationToken cancellationToken)
    {
        var collections = new List<(Guid Id, int Dimension, int Bits)>();
        await using (var list = dataSource.CreateCommand("SELECT \"Id\", \"Dimension\", \"CodeBits\" FROM collections ORDER BY \"Id\""))
        await using (var reader = await list.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                collections.Add((reader.GetGuid(0), reader.GetInt32(1), reader.GetInt32(2)));
            }
        }

        long filled = 0;
        foreach (var (collection, dimension, bits) in collections)
        {
            var hash = SimHash.For(dimension, bits);
            var after = Guid.Empty;
            while (true)
            {
                var page = new List<(Guid Id, BitArray Code)>(pageSize);
                await using (var find = dataSource.CreateCommand(
                    "SELECT \"Id\", \"Embedding\" FROM faces WHERE \"CollectionId\" = $1 AND \"Id\" > $2 AND \"Code\" IS NULL " +
                    "ORDER BY \"Id\" LIMIT $3"))
                {
                    find.Parameters.Add(new() { Value = collection });
                    find.Parameters.Add(new() { Value = after });
                    find.Parameters.Add(new() { Value = pageSize });
                    await using var reader = await find.ExecuteReaderAsync(cancellationToken);
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        var embedding = reader.GetFieldValue<HalfVector>(1);
                        page.Add((reader.GetGuid(0), hash.Code(embedding.Memory.Span)));
                    }
                }

                if (page.Count == 0)
                {
                    break;
                }

                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                await using var update = new NpgsqlBatch(connection);
                foreach (var (id, code) in page)
                {
                    var command = new NpgsqlBatchCommand("UPDATE faces SET \"Code\" = $1, \"Xid\" = pg_current_xact_id()::text::bigint WHERE \"CollectionId\" = $2 AND \"Id\" = $3");
                    command.Parameters.Add(new() { Value = code, NpgsqlDbType = NpgsqlDbType.Varbit });
                    command.Parameters.Add(new() { Value = collection });
                    command.Parameters.Add(new() { Value = id });
                    update.BatchCommands.Add(command);
                }

                await update.ExecuteNonQueryAsync(cancellationToken);
                filled += page.Count;
                after = page[^1].Id;
            }
        }

        return filled;
    }

    /// <summary>Whether the collection's partition has a valid (completely built) HNSW code index.</summary>
    public async Task<bool> HasCodeIndexAsync(Guid collection, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid WHERE c.relname = $1 AND i.indisvalid)");
        command.Parameters.Add(new() { Value = FacePartitions.IndexName(collection) });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Builds the collection's HNSW code index without blocking its writers (<c>CREATE INDEX CONCURRENTLY</c>, on the
    /// primary). An invalid index left by an interrupted build is dropped first; a build another instance has started
    /// is left alone (IF NOT EXISTS). Slow by nature: 100k faces took 122 s with m 32 here (docs/benchmarks.md).
    /// </summary>
    public async Task BuildCodeIndexAsync(Guid collection, int codeBits, int m, int efConstruction, CancellationToken cancellationToken)
    {
        var index = FacePartitions.IndexName(collection);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var invalid = new NpgsqlCommand(
            "SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid WHERE c.relname = $1 AND NOT i.indisvalid " +
            "AND NOT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = c.oid))", connection))
        {
            invalid.Parameters.Add(new() { Value = index });
            if ((bool)(await invalid.ExecuteScalarAsync(cancellationToken))!)
            {
                await using var drop = new NpgsqlCommand($"DROP INDEX CONCURRENTLY IF EXISTS {index}", connection);
                await drop.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        // Identifiers are built from a Guid's hex digits and integers only.
        await using var build = new NpgsqlCommand(
            $"CREATE INDEX CONCURRENTLY IF NOT EXISTS {index} ON {FacePartitions.TableName(collection)} " +
            $"USING hnsw ((\"Code\"::bit({codeBits})) bit_hamming_ops) WITH (m = {m}, ef_construction = {efConstruction})", connection)
        {
            CommandTimeout = 0,
        };
        await build.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The subject's face most similar to the query (exact: a subject has few faces), or null without faces.</summary>
    public async Task<(Guid FaceId, float Similarity)?> BestFaceAsync(
        CollectionInfo collection, Guid subject, HalfVector query, CancellationToken cancellationToken)
    {
        var dimension = collection.Dimension;
        await using var command = dataSource.CreateCommand(
            $"SELECT \"Id\", 1 - (\"Embedding\"::halfvec({dimension}) <=> $1::halfvec({dimension})) AS similarity " +
            "FROM faces WHERE \"CollectionId\" = $2 AND \"SubjectId\" = $3 ORDER BY similarity DESC LIMIT 1");
        command.Parameters.Add(new() { Value = query, DataTypeName = "halfvec" });
        command.Parameters.Add(new() { Value = collection.Id });
        command.Parameters.Add(new() { Value = subject });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetGuid(0), (float)reader.GetDouble(1)) : null;
    }

    /// <summary>A page of a subject's faces in enrolment order.</summary>
    public async Task<List<StoredFace>> ListFacesAsync(Guid collection, Guid subject, Guid? after, int take, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {FaceColumns} FROM faces WHERE \"CollectionId\" = $1 AND \"SubjectId\" = $2 " +
            "AND ($3::uuid IS NULL OR \"Id\" > $3) ORDER BY \"Id\" LIMIT $4");
        command.Parameters.Add(new() { Value = collection });
        command.Parameters.Add(new() { Value = subject });
        command.Parameters.Add(new() { Value = after.HasValue ? after.Value : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new() { Value = take });
        var faces = new List<StoredFace>(take);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            faces.Add(ReadFace(reader));
        }

        return faces;
    }

    /// <summary>Deletes a subject and its faces; returns (the deleted faces' ids, new version) or null when not found.</summary>
    public async Task<(List<Guid> Faces, long Version)?> DeleteSubjectAsync(Guid tenant, Guid collection, Guid subject, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Faces first and by collection, so only the collection's partition is touched (the cascade then finds none).
        var faces = new List<Guid>();
        await using (var deleteFaces = new NpgsqlCommand(
            "DELETE FROM faces f USING subjects s WHERE f.\"CollectionId\" = $1 AND f.\"SubjectId\" = $2 " +
            "AND s.\"Id\" = $2 AND s.\"CollectionId\" = $1 AND s.\"TenantId\" = $3 RETURNING f.\"Id\"", connection, transaction))
        {
            deleteFaces.Parameters.Add(new() { Value = collection });
            deleteFaces.Parameters.Add(new() { Value = subject });
            deleteFaces.Parameters.Add(new() { Value = tenant });
            await using var reader = await deleteFaces.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                faces.Add(reader.GetGuid(0));
            }
        }

        var subjects = await ExecuteAsync(connection, transaction,
            "DELETE FROM subjects WHERE \"Id\" = $1 AND \"CollectionId\" = $2 AND \"TenantId\" = $3",
            cancellationToken, subject, collection, tenant);
        if (subjects == 0)
        {
            return null;
        }

        var version = await BumpAsync(connection, transaction, collection, -1, -faces.Count, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (faces, version);
    }

    /// <summary>Deletes one face; returns the new version, or null when not found.</summary>
    public async Task<long?> DeleteFaceAsync(Guid tenant, Guid collection, Guid face, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var deleted = await ExecuteAsync(connection, transaction,
            "DELETE FROM faces WHERE \"CollectionId\" = $1 AND \"Id\" = $2 AND \"TenantId\" = $3",
            cancellationToken, collection, face, tenant);
        if (deleted == 0)
        {
            return null;
        }

        var version = await BumpAsync(connection, transaction, collection, 0, -1, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return version;
    }

    private static async Task<long> BumpAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid collection, long subjects, long faces,
        CancellationToken cancellationToken) =>
        await BumpVersionAsync(connection, transaction, collection, null, subjects, faces, cancellationToken)
        ?? throw new InvalidOperationException($"collection {collection} vanished inside the transaction that locked it");

    /// <summary>
    /// The one place a collection's version is raised (with its subject and face counts), inside the caller's write
    /// transaction — every cached answer and in-memory copy is keyed by it. Returns the new version, or null when the
    /// collection does not exist (or is not <paramref name="tenant"/>'s, when given).
    /// </summary>
    public static async Task<long?> BumpVersionAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid collection, Guid? tenant, long subjects, long faces,
        CancellationToken cancellationToken)
    {
        await using var bump = new NpgsqlCommand(
            "UPDATE collections SET \"Version\" = \"Version\" + 1, \"SubjectCount\" = \"SubjectCount\" + $2, " +
            "\"FaceCount\" = \"FaceCount\" + $3 WHERE \"Id\" = $1 AND ($4::uuid IS NULL OR \"TenantId\" = $4) RETURNING \"Version\"",
            connection, transaction);
        bump.Parameters.Add(new() { Value = collection });
        bump.Parameters.Add(new() { Value = subjects });
        bump.Parameters.Add(new() { Value = faces });
        bump.Parameters.Add(new() { Value = tenant.HasValue ? tenant.Value : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        return await bump.ExecuteScalarAsync(cancellationToken) is long version ? version : null;
    }

    private static async Task<int> ExecuteAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var value in values)
        {
            command.Parameters.Add(new() { Value = value });
        }

        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static StoredFace ReadFace(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetFloat(3), reader.GetFloat(4), reader.GetFloat(5),
        reader.GetFloat(6), reader.GetFloat(7), reader.GetString(8), reader.GetFieldValue<DateTimeOffset>(9));
}
