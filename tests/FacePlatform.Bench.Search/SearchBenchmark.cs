using System.Collections;
using System.Diagnostics;
using System.Globalization;
using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using FacePlatform.Identity.Search;
using FacePlatform.ServiceDefaults.Security;
using Grpc.Net.Client;
using Npgsql;
using NpgsqlTypes;
using Pgvector;

namespace FacePlatform.Bench.Search;

/// <summary>
/// Loads a synthetic gallery through the identity service (or by binary COPY for large galleries), builds its code
/// index, then measures search through the service (1 and N clients) and raw SQL against exact answers computed here.
/// Prints markdown rows for docs/benchmarks.md.
/// </summary>
internal static class SearchBenchmark
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static async Task<int> RunAsync(BenchOptions options)
    {
        var data = new FaceData(options);
        using var certificates = new InternalCertificates(
            Path.Combine(options.Pki, options.Caller + ".crt"), Path.Combine(options.Pki, options.Caller + ".key"), Path.Combine(options.Pki, "ca.crt"));
        using var targets = new Targets(options.Identities, certificates);
        var client = targets.Clients[0];
        var sourceBuilder = new NpgsqlDataSourceBuilder(options.Postgres);
        sourceBuilder.UseVector();
        await using var postgres = sourceBuilder.Build();
        var index = options.Collection is not null ? "the existing code index of --collection"
            : options.CodeIndex == "ivfflat" ? $"ivfflat code index lists={options.Lists}"
            : options.CodeIndex == "none" ? "no code index"
            : $"code index m={options.M} ef_construction={options.EfConstruction}";
        Say($"# {options.Data} {options.Faces} faces x {options.Dimension}-d, {index}, load average {LoadAverage()}");

        var tenant = options.Collection is null
            ? (await client.CreateTenantAsync(new CreateTenantRequest { Name = "bench-" + Guid.NewGuid().ToString("N")[..8] })).Id
            : await TenantOfAsync(postgres, options.Collection);
        var model = $"bench-{options.Dimension}";
        var identities = options.Faces / options.FacesPerIdentity;
        var centres = new float[identities][];
        var faces = new float[identities * options.FacesPerIdentity][];
        for (var p = 0; p < identities; p++)
        {
            centres[p] = data.NewCentre();
            for (var f = 0; f < options.FacesPerIdentity; f++)
            {
                faces[(p * options.FacesPerIdentity) + f] = data.FaceOf(centres[p]);
            }
        }

        Calibrate(faces, options.FacesPerIdentity);
        var gallery = options.Collection is null
            ? await LoadAsync(client, postgres, tenant, "main", model, options, faces, options.FacesPerIdentity)
            : await ReuseAsync(postgres, options.Collection, faces, options.FacesPerIdentity, options.Recall);
        Say($"collection {gallery.Collection} (--collection {gallery.Collection} searches it again without loading)");
        var subjectOfIdentity = gallery.Subjects;
        var faceIds = gallery.FaceIds;
        var identityOfFace = new Dictionary<string, int>(faceIds.Length);
        for (var i = 0; i < faceIds.Length; i++)
        {
            identityOfFace[faceIds[i]] = i / options.FacesPerIdentity;
        }

        // Queries: a fresh face of a random enrolled identity; ground truth by exact search over float32 vectors.
        var random = new Random(options.Seed + 1);
        var queryIdentities = Enumerable.Range(0, options.Queries).Select(_ => random.Next(identities)).ToArray();
        var queries = queryIdentities.Select(p => data.FaceOf(centres[p])).ToArray();
        int[][]? exact = null;
        if (options.Recall)
        {
            exact = GroundTruth(options, gallery, faces, queries, queryIdentities);
        }
        else
        {
            Array.Clear(faces);
            GC.Collect();
            Say("latency only (--recall false): no ground truth");
        }

        var firstClock = Stopwatch.StartNew();
        await client.SearchAsync(new SearchRequest
        {
            TenantId = tenant, CollectionId = gallery.Collection, TopK = 10, Threshold = -1,
            Queries = { new Embedding { ModelId = model, Values = { data.FaceOf(centres[0]) } } },
        });
        Say($"first search after loading: {firstClock.Elapsed.TotalMilliseconds:F0} ms (a scanning service reads the collection's codes here when " +
            "Identity:ScanInlineLoadFaces allows, else in the background)");

        if (options.Warmup > 0)
        {
            // Other queries, so the measured ones are not answered from the cache; the service's connections, JIT
            // tiers and caches settle here instead of in the first row.
            foreach (var target in targets.Clients)
            {
                foreach (var clients in new[] { Math.Max(1, options.Clients), 1 })
                {
                    var warm = Enumerable.Range(0, options.Warmup).Select(_ => data.FaceOf(centres[random.Next(identities)])).ToArray();
                    await SearchManyAsync(target, tenant, gallery.Collection, model, warm, options.EfSearch[0], options.Rerank[0], clients);
                }
            }

            Say($"warm-up: {options.Warmup} searches with {options.Clients} clients, then 1{(targets.Count > 1 ? ", on each address" : string.Empty)}");
        }

        // With several addresses each row names its round and address; one address prints the table as it always did.
        var compare = targets.Count > 1 || options.Rounds > 1;
        Say((compare ? "| round | identity " : string.Empty) +
            "| rerank | ef_search | recall@1 | identity top-1 (service) | mates in top 10 | service p50 / p99 ms (1 client) | QPS 1 client | " +
            $"p50 / p99 ms ({options.Clients} clients) | QPS {options.Clients} clients | raw SQL p50 / p99 ms | load average |");
        Say((compare ? "| --- | --- " : string.Empty) + "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        var sweep = options.Rerank.SelectMany(r => options.EfSearch.Where(ef => ef >= r).DefaultIfEmpty(r).Select(ef => (Rerank: r, Ef: ef))).Distinct().ToList();
        var firstAnswers = new Dictionary<(int Rerank, int Ef), string[]>();
        for (var round = 1; round <= options.Rounds; round++)
        {
            // The first round asks the queries whose exact answers are known; later rounds new ones, so that no answer
            // comes from the cache (whose key is the query).
            var roundQueries = round == 1 ? queries
                : Enumerable.Range(0, queries.Length).Select(_ => data.FaceOf(centres[random.Next(identities)])).ToArray();
            var order = Enumerable.Range(0, targets.Count).ToList();
            if (round % 2 == 0)
            {
                order.Reverse();
            }

            foreach (var (rerank, ef) in sweep)
            {
                foreach (var t in order)
                {
                    // Several services share one cache: each address is asked with its own ef_search (ef + its
                    // position), so none is answered from another's cached answers. The in-memory scan ignores
                    // ef_search; on the code index path compare addresses with care.
                    var efOfTarget = Math.Min(1000, ef + t);
                    var load = LoadAverage();
                    var single = await SearchManyAsync(targets.Clients[t], tenant, gallery.Collection, model, roundQueries, efOfTarget, rerank, 1);
                    var known = exact is not null && round == 1;
                    var recall = !known ? double.NaN
                        : single.TopFace.Select((face, q) => face == faceIds[exact![q][0]]).Count(hit => hit) / (double)queries.Length;
                    var identityHit = round != 1 ? double.NaN
                        : single.TopSubject.Select((s, q) => s == subjectOfIdentity[queryIdentities[q]]).Count(hit => hit) / (double)queries.Length;
                    // Raw SQL on the code index (none: without one, PostgreSQL would sort the whole partition by Hamming distance).
                    var raw = options.CodeIndex == "none" || round != 1 || t != 0 ? (P50: double.NaN, P99: double.NaN, Ids: [])
                        : await RawTop10Async(postgres, gallery, options.Dimension, queries, ef, rerank);
                    var mates = raw.Ids.Length == 0 ? double.NaN
                        : raw.Ids.Select((ids, q) => ids.Count(id => identityOfFace.TryGetValue(id, out var p) && p == queryIdentities[q]) / (double)options.FacesPerIdentity).Average();
                    var many = "- | -";
                    if (options.Concurrent)
                    {
                        // Other queries for the concurrent run, so the cache cannot answer them.
                        var fresh = Enumerable.Range(0, Math.Max(queries.Length, options.Clients * 50)).Select(_ => data.FaceOf(centres[random.Next(identities)])).ToArray();
                        var run = await SearchManyAsync(targets.Clients[t], tenant, gallery.Collection, model, fresh, efOfTarget, rerank, options.Clients);
                        many = $"{run.P50:F1} / {run.P99:F1} | {run.Qps:F0}";
                    }

                    Say((compare ? $"| {round} | {targets.Addresses[t]} " : string.Empty) +
                        $"| {rerank} | {efOfTarget} | {recall:F3} | {identityHit:F3} | {mates:F3} | {single.P50:F1} / {single.P99:F1} | {single.Qps:F0} | " +
                        $"{many} | {raw.P50:F1} / {raw.P99:F1} | {load} |");
                    if (round == 1 && targets.Count > 1)
                    {
                        // Same queries to every address: their best faces compared one by one (recall without ground truth).
                        firstAnswers.TryAdd((rerank, ef), single.TopFace);
                        var same = firstAnswers[(rerank, ef)].Zip(single.TopFace, (a, b) => a == b).Count(equal => equal);
                        Say($"best face the same as {targets.Addresses[order[0]]}'s for {same} of {queries.Length} queries");
                    }
                }
            }
        }

        if (options.Probes.Count > 0)
        {
            // An IVFFlat code index (--code-index ivfflat): probes is a session setting, so this sweep is raw SQL only;
            // the service uses its Identity:IvfProbes.
            Say("| probes | rerank | recall@1 (raw SQL) | identity top-1 (raw SQL) | mates in top 10 | raw SQL p50 / p99 ms | load average |");
            Say("| --- | --- | --- | --- | --- | --- | --- |");
            foreach (var probes in options.Probes)
            {
                foreach (var rerank in options.Rerank)
                {
                    var load = LoadAverage();
                    var raw = await RawTop10Async(postgres, gallery, options.Dimension, queries, rerank, rerank, probes);
                    var recall = exact is null ? double.NaN
                        : raw.Ids.Select((ids, q) => ids.Count > 0 && ids[0] == faceIds[exact[q][0]]).Count(hit => hit) / (double)queries.Length;
                    var identityHit = raw.Ids.Select((ids, q) => ids.Count > 0 && identityOfFace[ids[0]] == queryIdentities[q]).Count(hit => hit) / (double)queries.Length;
                    var mates = raw.Ids.Select((ids, q) => ids.Count(id => identityOfFace.TryGetValue(id, out var p) && p == queryIdentities[q]) / (double)options.FacesPerIdentity).Average();
                    Say($"| {probes} | {rerank} | {recall:F3} | {identityHit:F3} | {mates:F3} | {raw.P50:F1} / {raw.P99:F1} | {load} |");
                }
            }
        }

        var again = await SearchManyAsync(client, tenant, gallery.Collection, model, queries.Take(100).ToArray(), sweep[^1].Ef, sweep[^1].Rerank, 1);
        Say($"cache hits (the same 100 queries again): p50 {again.P50:F2} ms, p99 {again.P99:F2} ms");

        if (options.OtherTenantFaces > 0)
        {
            await OtherTenantAsync(client, postgres, data, options);
        }

        return 0;
    }

    /// <summary>Exact answers of the queries (float32), the ceilings they imply, and the in-process scan's recall.</summary>
    private static int[][] GroundTruth(BenchOptions options, Gallery gallery, float[][] faces, float[][] queries, int[] queryIdentities)
    {
        var clock = Stopwatch.StartNew();
        var exact = ExactTop(faces, queries, 10);
        Say($"exact search of {queries.Length} queries in {clock.Elapsed.TotalSeconds:F1} s");
        if (faces.Length <= 200_000)
        {
            var halfFaces = faces.Select(FaceData.ToHalfPrecision).ToArray();
            var exactHalf = ExactTop(halfFaces, queries.Select(FaceData.ToHalfPrecision).ToArray(), 1);
            var halfChanges = exact.Zip(exactHalf, (a, b) => a[0] != b[0]).Count(changed => changed);
            Say($"half precision changed the exact top-1 of {halfChanges} of {queries.Length} queries");
        }
        var exactMates = queries.Select((_, q) => exact[q].Count(i => i / options.FacesPerIdentity == queryIdentities[q]) / (double)options.FacesPerIdentity).Average();
        Say($"exact search finds {exactMates:F3} of the identity's faces in its top 10 (the ceiling for HNSW)");
        var queryCodes = queries.Select(q => SimHash.For(options.Dimension, gallery.CodeBits).Code(q.Select(v => (Half)v).ToArray())).ToArray();
        foreach (var rerank in options.Rerank)
        {
            Say($"exact Hamming search + re-ranking of {rerank} candidates would reach recall@1 {CodeCeiling(gallery.Codes, queryCodes, exact, rerank):F3} (the ceiling for the code index)");
        }

        ScanInProcess(gallery, faces, queries, queryCodes, exact, queryIdentities, options);
        return exact;
    }

    private sealed record Gallery(string Collection, string[] Subjects, string[] FaceIds, int CodeBits, BitArray[] Codes);

    private static async Task<Gallery> LoadAsync(
        IdentityService.IdentityServiceClient client, NpgsqlDataSource postgres, string tenant, string name, string model,
        BenchOptions options, float[][] faces, int perIdentity)
    {
        var collection = (await client.CreateCollectionAsync(new CreateCollectionRequest { TenantId = tenant, Name = name, ModelId = model, Dimension = options.Dimension })).Id;
        var partition = $"faces_{Guid.Parse(collection):N}";
        var codeBits = await CodeBitsAsync(postgres, collection);
        if (options.BuildAfterLoad || options.CodeIndex == "none")
        {
            await ExecuteAsync(postgres, $"DROP INDEX IF EXISTS {partition}_codes");
        }

        var identities = faces.Length / perIdentity;
        var subjects = new string[identities];
        var faceIds = new string[faces.Length];
        var codes = ComputeCodes(faces, codeBits);
        var clock = Stopwatch.StartNew();
        if (options.BulkCopy)
        {
            await CopyAsync(postgres, tenant, collection, model, codes, faces, perIdentity, subjects, faceIds);
            var copied = clock.Elapsed;
            Say($"binary COPY of {identities} subjects and {faces.Length} faces with their codes (codes computed here): {copied.TotalSeconds:F0} s, " +
                $"{faces.Length / copied.TotalSeconds:F0} faces/s{(options.CodeIndex == "none" ? " (no code index)" : options.BuildAfterLoad ? " (no index yet)" : " (into the HNSW index)")}");
        }
        else
        {
            var next = -1;
            await Task.WhenAll(Enumerable.Range(0, options.Clients).Select(async _ =>
            {
                int p;
                while ((p = Interlocked.Increment(ref next)) < identities)
                {
                    subjects[p] = (await client.CreateSubjectAsync(new CreateSubjectRequest
                    {
                        TenantId = tenant, CollectionId = collection, ExternalId = $"id{p}", DisplayName = $"Person {p}",
                    })).Id;
                    var request = new EnrollRequest { TenantId = tenant, CollectionId = collection, SubjectId = subjects[p], RequestId = $"load-{p}" };
                    for (var f = 0; f < perIdentity; f++)
                    {
                        request.Faces.Add(new FaceToEnroll { Embedding = new Embedding { ModelId = model, Values = { faces[(p * perIdentity) + f] } }, Quality = 1 });
                    }

                    var enrolled = await client.EnrollAsync(request);
                    for (var f = 0; f < perIdentity; f++)
                    {
                        faceIds[(p * perIdentity) + f] = enrolled.Faces[f].Id;
                    }
                }
            }));
            var load = clock.Elapsed;
            Say($"load through the service ({options.Clients} clients; a subject + an Enroll of {perIdentity} faces each): {load.TotalSeconds:F0} s, " +
                $"{faces.Length / load.TotalSeconds:F0} faces/s{(options.CodeIndex == "none" ? " (no code index)" : options.BuildAfterLoad ? " (no index yet)" : " (into the HNSW code index)")}, load average {LoadAverage()}");
        }

        if (options.BuildAfterLoad && options.CodeIndex != "none")
        {
            // The service's own partition DDL (fp_create_face_partition), with the bench's m / ef_construction, or the
            // IVFFlat alternative measured in docs/benchmarks.md.
            var before = LoadAverage();
            clock.Restart();
            var build = options.CodeIndex == "ivfflat"
                ? $"CREATE INDEX {partition}_codes ON {partition} USING ivfflat ((\"Code\"::bit({codeBits})) bit_hamming_ops) WITH (lists = {options.Lists})"
                : $"SELECT fp_create_face_partition('{collection}', {codeBits}, {options.M}, {options.EfConstruction})";
            await ExecuteAsync(postgres, "SET maintenance_work_mem = '3GB'; SET max_parallel_maintenance_workers = 1; " + build);
            Say($"{options.CodeIndex} code index build (1 parallel worker + leader): {clock.Elapsed.TotalSeconds:F0} s; load average before {before}, after {LoadAverage()}");
        }

        await ExecuteAsync(postgres, $"ANALYZE {partition}");
        await using var sizes = postgres.CreateCommand(
            $"SELECT coalesce(pg_size_pretty(pg_relation_size(to_regclass('{partition}_codes'))), 'none'), pg_size_pretty(pg_table_size('{partition}'))");
        await using var reader = await sizes.ExecuteReaderAsync();
        await reader.ReadAsync();
        Say($"code index size {reader.GetString(0)}, table size {reader.GetString(1)}");
        return new Gallery(collection, subjects, faceIds, codeBits, codes);
    }

    /// <summary>
    /// Subjects and faces (with the SimHash codes of their half-precision embeddings, as the service computes them)
    /// by binary COPY, then the collection's counters and version as the service would have left them.
    /// </summary>
    private static async Task CopyAsync(
        NpgsqlDataSource postgres, string tenant, string collection, string model, BitArray[] codes, float[][] faces, int perIdentity,
        string[] subjects, string[] faceIds)
    {
        var tenantId = Guid.Parse(tenant);
        var collectionId = Guid.Parse(collection);

        var now = DateTimeOffset.UtcNow;
        await using var connection = await postgres.OpenConnectionAsync();
        await using (var importer = await connection.BeginBinaryImportAsync(
            "COPY subjects (\"Id\", \"TenantId\", \"CollectionId\", \"ExternalId\", \"DisplayName\", \"Metadata\", \"CreatedAt\") FROM STDIN (FORMAT BINARY)"))
        {
            for (var p = 0; p < subjects.Length; p++)
            {
                var id = Guid.CreateVersion7(now);
                subjects[p] = id.ToString();
                await importer.StartRowAsync();
                await importer.WriteAsync(id, NpgsqlDbType.Uuid);
                await importer.WriteAsync(tenantId, NpgsqlDbType.Uuid);
                await importer.WriteAsync(collectionId, NpgsqlDbType.Uuid);
                await importer.WriteAsync($"id{p}", NpgsqlDbType.Varchar);
                await importer.WriteAsync($"Person {p}", NpgsqlDbType.Varchar);
                await importer.WriteAsync("{}", NpgsqlDbType.Jsonb);
                await importer.WriteAsync(now, NpgsqlDbType.TimestampTz);
            }

            await importer.CompleteAsync();
        }

        await using (var importer = await connection.BeginBinaryImportAsync(
            "COPY faces (\"Id\", \"TenantId\", \"CollectionId\", \"SubjectId\", \"ModelId\", \"Embedding\", \"Code\", \"Quality\", \"BoxX\", \"BoxY\", " +
            "\"BoxWidth\", \"BoxHeight\", \"ImageSha256\", \"CreatedAt\") FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < faces.Length; i++)
            {
                var id = Guid.CreateVersion7(now);
                faceIds[i] = id.ToString();
                await importer.StartRowAsync();
                await importer.WriteAsync(id, NpgsqlDbType.Uuid);
                await importer.WriteAsync(tenantId, NpgsqlDbType.Uuid);
                await importer.WriteAsync(collectionId, NpgsqlDbType.Uuid);
                await importer.WriteAsync(Guid.Parse(subjects[i / perIdentity]), NpgsqlDbType.Uuid);
                await importer.WriteAsync(model, NpgsqlDbType.Varchar);
                await importer.WriteAsync(new HalfVector(faces[i].Select(v => (Half)v).ToArray()), "halfvec");
                await importer.WriteAsync(codes[i], NpgsqlDbType.Varbit);
                for (var r = 0; r < 5; r++)
                {
                    await importer.WriteAsync(1f, NpgsqlDbType.Real);
                }

                // The face's index in the generated data, so a later run can search this gallery again (--collection).
                await importer.WriteAsync(i.ToString("x64", Invariant), NpgsqlDbType.Varchar);
                await importer.WriteAsync(now, NpgsqlDbType.TimestampTz);
            }

            await importer.CompleteAsync();
        }

        await using var counts = new NpgsqlCommand(
            "UPDATE collections SET \"Version\" = \"Version\" + 1, \"SubjectCount\" = $2, \"FaceCount\" = $3 WHERE \"Id\" = $1", connection);
        counts.Parameters.Add(new() { Value = collectionId });
        counts.Parameters.Add(new() { Value = (long)subjects.Length });
        counts.Parameters.Add(new() { Value = (long)faces.Length });
        await counts.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// A gallery an earlier bulk-copied run left (same --seed, --faces, --data, --dimension: the same generated faces):
    /// its faces' ids by the index stored in ImageSha256, its subjects by external id.
    /// </summary>
    private static async Task<Gallery> ReuseAsync(NpgsqlDataSource postgres, string collection, float[][] faces, int perIdentity, bool codes)
    {
        var subjects = new string[faces.Length / perIdentity];
        var faceIds = new string[faces.Length];
        await using var command = postgres.CreateCommand(
            "SELECT f.\"Id\", f.\"ImageSha256\", f.\"SubjectId\", s.\"ExternalId\" FROM faces f JOIN subjects s ON s.\"Id\" = f.\"SubjectId\" " +
            "WHERE f.\"CollectionId\" = $1");
        command.Parameters.Add(new() { Value = Guid.Parse(collection) });
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var i = (int)long.Parse(reader.GetString(1), NumberStyles.HexNumber, Invariant);
                faceIds[i] = reader.GetGuid(0).ToString();
                subjects[int.Parse(reader.GetString(3).AsSpan(2), Invariant)] = reader.GetGuid(2).ToString();
            }
        }

        if (faceIds.Any(id => id is null))
        {
            throw new InvalidOperationException($"collection {collection} does not hold the {faces.Length} faces of these options");
        }

        var codeBits = await CodeBitsAsync(postgres, collection);
        return new Gallery(collection, subjects, faceIds, codeBits, codes ? ComputeCodes(faces, codeBits) : []);
    }

    private static async Task<string> TenantOfAsync(NpgsqlDataSource postgres, string collection)
    {
        await using var command = postgres.CreateCommand("SELECT \"TenantId\" FROM collections WHERE \"Id\" = $1");
        command.Parameters.Add(new() { Value = Guid.Parse(collection) });
        return ((Guid)(await command.ExecuteScalarAsync())!).ToString();
    }

    /// <summary>The codes the service computes for these faces (from their half-precision values).</summary>
    private static BitArray[] ComputeCodes(float[][] faces, int codeBits)
    {
        var hash = SimHash.For(faces[0].Length, codeBits);
        var codes = new BitArray[faces.Length];
        var clock = Stopwatch.StartNew();
        Parallel.For(0, faces.Length, i => codes[i] = hash.Code(faces[i].Select(v => (Half)v).ToArray()));
        Say($"codes of {faces.Length} faces computed in {clock.Elapsed.TotalSeconds:F0} s ({Environment.ProcessorCount} threads)");
        return codes;
    }

    /// <summary>
    /// Share of queries whose exact nearest face is among the <paramref name="rerank"/> faces of smallest Hamming
    /// distance (ties counted in its favour): the recall@1 that exact re-ranking of an exact code search would reach,
    /// so the ceiling that the HNSW code index can only approach.
    /// </summary>
    private static double CodeCeiling(BitArray[] codes, BitArray[] queryCodes, int[][] exact, int rerank)
    {
        var words = codes.Select(Words).ToArray();
        var hits = 0;
        Parallel.For(0, queryCodes.Length, q =>
        {
            var query = Words(queryCodes[q]);
            var target = Hamming(query, words[exact[q][0]]);
            var closer = 0;
            for (var i = 0; i < words.Length && closer < rerank; i++)
            {
                if (Hamming(query, words[i]) < target)
                {
                    closer++;
                }
            }

            if (closer < rerank)
            {
                Interlocked.Increment(ref hits);
            }
        });
        return hits / (double)queryCodes.Length;

        static ulong[] Words(BitArray code)
        {
            var bytes = new byte[(code.Length + 63) / 64 * 8];
            code.CopyTo(bytes, 0);
            return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(bytes).ToArray();
        }

        static int Hamming(ulong[] a, ulong[] b)
        {
            var distance = 0;
            for (var i = 0; i < a.Length; i++)
            {
                distance += System.Numerics.BitOperations.PopCount(a[i] ^ b[i]);
            }

            return distance;
        }
    }

    /// <summary>
    /// The scan path in this process with the service's own <see cref="CodeScan"/>: per re-rank size, its recall@1
    /// against exact search and the share of identity mates in its top 10 faces (the service answers per subject, so
    /// face-level top 10 is counted here; its re-ranking is on half-precision vectors, here on the float originals).
    /// </summary>
    private static void ScanInProcess(
        Gallery gallery, float[][] faces, float[][] queries, BitArray[] queryCodes, int[][] exact, int[] queryIdentities, BenchOptions options)
    {
        var ids = new Guid[faces.Length];
        for (var i = 0; i < faces.Length; i++)
        {
            ids[i] = Guid.Parse(gallery.FaceIds[i]);
        }

        var indexOf = new Dictionary<Guid, int>(faces.Length);
        for (var i = 0; i < ids.Length; i++)
        {
            indexOf[ids[i]] = i;
        }

        // How deep the first stage (the codes' first bits) must go to keep each query's exact nearest face.
        var words = gallery.Codes.Select(CodeScan.Pack).ToArray();
        foreach (var prefix in new[] { 4, 6, 8 })
        {
            var ranks = new int[queries.Length];
            Parallel.For(0, queries.Length, q =>
            {
                var query = CodeScan.Pack(queryCodes[q]);
                var target = PrefixDistance(words[exact[q][0]], query, prefix);
                ranks[q] = words.Count(code => PrefixDistance(code, query, prefix) < target);
            });
            Array.Sort(ranks);
            Say($"rank of the exact nearest face by the codes' first {prefix * 64} bits (faces strictly nearer): " +
                $"p50 {ranks[ranks.Length / 2]}, p99 {ranks[(int)(ranks.Length * 0.99)]}, max {ranks[^1]} (the scan's first stage keeps {CodeScan.PoolFor(options.Rerank[0])}+)");
        }

        // The service's first stage (0: its default width) and others: narrower ones read less memory but must go deeper.
        foreach (var headBits in options.ScanHeadBits)
        {
            ScanRecall(new CodeScan(gallery.CodeBits, headBits), headBits);
        }

        void ScanRecall(CodeScan scan, int headBits)
        {
            for (var i = 0; i < ids.Length; i++)
            {
                scan.Add(ids[i], gallery.Codes[i]);
            }

            foreach (var rerank in options.Rerank)
            {
                ScanRecallAt(scan, headBits, rerank);
            }
        }

        void ScanRecallAt(CodeScan scan, int headBits, int rerank)
        {
            var hits = 0;
            double mates = 0;
            var latencies = new double[queries.Length];
            for (var q = 0; q < queries.Length; q++)
            {
                var started = Stopwatch.GetTimestamp();
                var candidates = scan.Nearest(CodeScan.Pack(queryCodes[q]), rerank);
                latencies[q] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                var top = candidates.Select(id => indexOf[id]).OrderByDescending(i => FaceData.Dot(queries[q], faces[i])).Take(10).ToList();
                hits += top.Count > 0 && top[0] == exact[q][0] ? 1 : 0;
                mates += top.Count(i => i / options.FacesPerIdentity == queryIdentities[q]) / (double)options.FacesPerIdentity;
            }

            Array.Sort(latencies);
            Say($"in-memory scan (the service's CodeScan, first stage {(headBits == 0 ? "of the default width" : $"{headBits} bits")}, in this process) + exact re-ranking of {rerank}: recall@1 {hits / (double)queries.Length:F3}, " +
                $"mates in top 10 {mates / queries.Length:F3}, scan p50 / p99 {Percentile(latencies, 0.5):F1} / {Percentile(latencies, 0.99):F1} ms " +
                $"({Environment.ProcessorCount} threads)");
        }
    }

    private static int PrefixDistance(ulong[] code, ulong[] query, int words)
    {
        var distance = 0;
        for (var w = 0; w < words; w++)
        {
            distance += System.Numerics.BitOperations.PopCount(code[w] ^ query[w]);
        }

        return distance;
    }

    private static async Task<int> CodeBitsAsync(NpgsqlDataSource postgres, string collection)
    {
        await using var command = postgres.CreateCommand("SELECT \"CodeBits\" FROM collections WHERE \"Id\" = $1");
        command.Parameters.Add(new() { Value = Guid.Parse(collection) });
        return (int)(await command.ExecuteScalarAsync())!;
    }

    private sealed record RunResult(double P50, double P99, double Qps, string[] TopFace, string[] TopSubject);

    /// <summary>One channel and client per identity address (<see cref="BenchOptions.Identities"/>), each with its own connections.</summary>
    private sealed class Targets : IDisposable
    {
        private readonly List<GrpcChannel> _channels;

        public Targets(IReadOnlyList<string> addresses, InternalCertificates certificates)
        {
            if (addresses.Count == 0)
            {
                throw new ArgumentException("--identity names no address");
            }

            Addresses = addresses;
            // The gateway's handler (mutual TLS); on an http:// address gRPC speaks h2c and the TLS options go unused.
            _channels = addresses.Select(address => GrpcChannel.ForAddress(address, new GrpcChannelOptions
            {
                MaxReceiveMessageSize = 64 << 20,
                HttpHandler = certificates.CreateClientHandler(),
            })).ToList();
            Clients = _channels.Select(channel => new IdentityService.IdentityServiceClient(channel)).ToList();
        }

        public IReadOnlyList<string> Addresses { get; }

        public List<IdentityService.IdentityServiceClient> Clients { get; }

        public int Count => Clients.Count;

        public void Dispose()
        {
            foreach (var channel in _channels)
            {
                channel.Dispose();
            }
        }
    }

    private static async Task<RunResult> SearchManyAsync(
        IdentityService.IdentityServiceClient client, string tenant, string collection, string model, float[][] queries, int ef, int rerank, int clients)
    {
        var latencies = new double[queries.Length];
        var topFace = new string[queries.Length];
        var topSubject = new string[queries.Length];
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            int q;
            while ((q = Interlocked.Increment(ref next)) < queries.Length)
            {
                var started = Stopwatch.GetTimestamp();
                var answer = await client.SearchAsync(new SearchRequest
                {
                    TenantId = tenant, CollectionId = collection, TopK = 10, Threshold = -1, EfSearch = ef, RerankCandidates = rerank,
                    Queries = { new Embedding { ModelId = model, Values = { queries[q] } } },
                });
                latencies[q] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                var best = answer.Results[0].Matches.FirstOrDefault();
                topFace[q] = best?.FaceId ?? string.Empty;
                topSubject[q] = best?.SubjectId ?? string.Empty;
            }
        }));
        var elapsed = clock.Elapsed.TotalSeconds;
        Array.Sort(latencies);
        return new RunResult(Percentile(latencies, 0.50), Percentile(latencies, 0.99), queries.Length / elapsed, topFace, topSubject);
    }

    /// <summary>The service's candidate-and-re-rank statement (without the subjects join), one query at a time.</summary>
    private static async Task<(double P50, double P99, List<string>[] Ids)> RawTop10Async(
        NpgsqlDataSource postgres, Gallery gallery, int dimension, float[][] queries, int ef, int rerank, int probes = 0)
    {
        await using var connection = await postgres.OpenConnectionAsync();
        var setProbes = probes > 0 ? $"; SET ivfflat.probes = {probes}" : string.Empty;
        await using (var set = new NpgsqlCommand($"SET hnsw.ef_search = {Math.Min(1000, Math.Max(ef, rerank))}{setProbes}", connection))
        {
            await set.ExecuteNonQueryAsync();
        }

        var hash = SimHash.For(dimension, gallery.CodeBits);
        var bits = gallery.CodeBits;
        var latencies = new double[queries.Length];
        var ids = new List<string>[queries.Length];
        for (var q = 0; q < queries.Length; q++)
        {
            var half = queries[q].Select(v => (Half)v).ToArray();
            await using var command = new NpgsqlCommand(
                $"SELECT \"Id\" FROM (SELECT \"Id\", \"Embedding\"::halfvec({dimension}) <=> $2::halfvec({dimension}) AS distance FROM faces " +
                $"WHERE \"CollectionId\" = $1 ORDER BY \"Code\"::bit({bits}) <~> $3::bit({bits}) LIMIT $4) c ORDER BY distance LIMIT 10", connection);
            command.Parameters.Add(new() { Value = Guid.Parse(gallery.Collection) });
            command.Parameters.Add(new() { Value = new HalfVector(half), DataTypeName = "halfvec" });
            command.Parameters.Add(new() { Value = hash.Code(half), NpgsqlDbType = NpgsqlDbType.Varbit });
            command.Parameters.Add(new() { Value = rerank });
            var started = Stopwatch.GetTimestamp();
            ids[q] = [];
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    ids[q].Add(reader.GetGuid(0).ToString());
                }
            }

            latencies[q] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        Array.Sort(latencies);
        return (Percentile(latencies, 0.5), Percentile(latencies, 0.99), ids);
    }

    /// <summary>
    /// A 10k collection's search latency before and after another tenant stores <see cref="BenchOptions.OtherTenantFaces"/>
    /// faces (bulk-copied straight into its partition: the question is what they cost the small collection).
    /// </summary>
    private static async Task OtherTenantAsync(IdentityService.IdentityServiceClient client, NpgsqlDataSource postgres, FaceData data, BenchOptions options)
    {
        var model = $"bench-{options.Dimension}";
        var tenant = (await client.CreateTenantAsync(new CreateTenantRequest { Name = "small-" + Guid.NewGuid().ToString("N")[..8] })).Id;
        var centres = Enumerable.Range(0, 2000).Select(_ => data.NewCentre()).ToArray();
        var smallFaces = centres.SelectMany(c => Enumerable.Range(0, 5).Select(_ => data.FaceOf(c))).ToArray();
        var small = await LoadAsync(client, postgres, tenant, "small", model, options with { Dimension = options.Dimension }, smallFaces, 5);
        var random = new Random(options.Seed + 2);
        float[][] Queries() => Enumerable.Range(0, options.Queries).Select(_ => data.FaceOf(centres[random.Next(centres.Length)])).ToArray();
        var before = await SearchManyAsync(client, tenant, small.Collection, model, Queries(), options.EfSearch[^1], options.Rerank[^1], 1);

        var other = (await client.CreateTenantAsync(new CreateTenantRequest { Name = "big-" + Guid.NewGuid().ToString("N")[..8] })).Id;
        var bigCollection = (await client.CreateCollectionAsync(new CreateCollectionRequest { TenantId = other, Name = "big", ModelId = model, Dimension = options.Dimension })).Id;
        var bigSubject = (await client.CreateSubjectAsync(new CreateSubjectRequest { TenantId = other, CollectionId = bigCollection, ExternalId = "bulk" })).Id;
        var partition = $"faces_{Guid.Parse(bigCollection):N}";
        await ExecuteAsync(postgres, $"DROP INDEX IF EXISTS {partition}_codes");
        var hash = SimHash.For(options.Dimension, await CodeBitsAsync(postgres, bigCollection));
        var clock = Stopwatch.StartNew();
        await using (var connection = await postgres.OpenConnectionAsync())
        await using (var importer = await connection.BeginBinaryImportAsync(
            "COPY faces (\"Id\", \"TenantId\", \"CollectionId\", \"SubjectId\", \"ModelId\", \"Embedding\", \"Code\", \"Quality\", \"BoxX\", \"BoxY\", \"BoxWidth\", \"BoxHeight\", \"ImageSha256\", \"CreatedAt\") FROM STDIN (FORMAT BINARY)"))
        {
            var centre = data.NewCentre();
            for (var i = 0; i < options.OtherTenantFaces; i++)
            {
                if (i % 5 == 0)
                {
                    centre = data.NewCentre();
                }

                await importer.StartRowAsync();
                await importer.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid);
                await importer.WriteAsync(Guid.Parse(other), NpgsqlDbType.Uuid);
                await importer.WriteAsync(Guid.Parse(bigCollection), NpgsqlDbType.Uuid);
                await importer.WriteAsync(Guid.Parse(bigSubject), NpgsqlDbType.Uuid);
                await importer.WriteAsync(model, NpgsqlDbType.Varchar);
                var half = data.FaceOf(centre).Select(v => (Half)v).ToArray();
                await importer.WriteAsync(new HalfVector(half), "halfvec");
                await importer.WriteAsync(hash.Code(half), NpgsqlDbType.Varbit);
                for (var r = 0; r < 5; r++)
                {
                    await importer.WriteAsync(1f, NpgsqlDbType.Real);
                }

                await importer.WriteAsync(string.Empty, NpgsqlDbType.Varchar);
                await importer.WriteAsync(DateTimeOffset.UtcNow, NpgsqlDbType.TimestampTz);
            }

            await importer.CompleteAsync();
        }

        Say($"another tenant's {options.OtherTenantFaces} faces copied in {clock.Elapsed.TotalSeconds:F0} s (binary COPY, no index)");
        var after = await SearchManyAsync(client, tenant, small.Collection, model, Queries(), options.EfSearch[^1], options.Rerank[^1], 1);
        Say($"10k collection, ef_search {options.EfSearch[^1]}, rerank {options.Rerank[^1]}: p50/p99 {before.P50:F1}/{before.P99:F1} ms alone, " +
            $"{after.P50:F1}/{after.P99:F1} ms beside the other tenant's {options.OtherTenantFaces} faces");
    }

    /// <summary>Mean cosine within identities and between them, to check the data is face-like.</summary>
    private static void Calibrate(float[][] faces, int perIdentity)
    {
        double same = 0, other = 0;
        var pairs = Math.Min(2000, faces.Length / perIdentity - 1);
        for (var p = 0; p < pairs; p++)
        {
            same += FaceData.Dot(faces[p * perIdentity], faces[(p * perIdentity) + 1]);
            other += FaceData.Dot(faces[p * perIdentity], faces[(p + 1) * perIdentity]);
        }

        Say($"mean cosine: same identity {same / pairs:F3}, different identities {other / pairs:F3}");
    }

    private static int[][] ExactTop(float[][] faces, float[][] queries, int k)
    {
        var top = new int[queries.Length][];
        Parallel.For(0, queries.Length, q =>
        {
            var best = new (float Score, int Index)[k];
            Array.Fill(best, (float.NegativeInfinity, -1));
            for (var i = 0; i < faces.Length; i++)
            {
                var score = FaceData.Dot(queries[q], faces[i]);
                if (score <= best[k - 1].Score)
                {
                    continue;
                }

                var j = k - 1;
                while (j > 0 && best[j - 1].Score < score)
                {
                    best[j] = best[j - 1];
                    j--;
                }

                best[j] = (score, i);
            }

            top[q] = best.Select(b => b.Index).ToArray();
        });
        return top;
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static async Task ExecuteAsync(NpgsqlDataSource postgres, string sql)
    {
        await using var connection = await postgres.OpenConnectionAsync();
        connection.Notice += (_, e) => Say($"PostgreSQL notice: {e.Notice.MessageText}");
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync();
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static void Say(string line) => Console.WriteLine(line.ToString(Invariant));
}
