using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Npgsql;

namespace FacePlatform.IntegrationTests.Identity;

/// <summary>Collections through the identity gRPC service, stored in the real PostgreSQL.</summary>
public sealed class CollectionStorageTests(IdentityServiceFixture identity) : IClassFixture<IdentityServiceFixture>
{
    private IdentityService.IdentityServiceClient Client => identity.Client;

    [Fact]
    public async Task A_created_collection_can_be_read_back_and_is_listed()
    {
        var tenant = await identity.NewTenantAsync();
        var created = await Client.CreateCollectionAsync(new CreateCollectionRequest
        {
            TenantId = tenant,
            Name = "staff",
            Description = "people of the office",
        });

        var read = await Client.GetCollectionAsync(new GetCollectionRequest { TenantId = tenant, CollectionId = created.Id });
        var listed = await Client.ListCollectionsAsync(new ListCollectionsRequest { TenantId = tenant });

        Assert.Equal("staff", read.Name);
        Assert.Equal("people of the office", read.Description);
        Assert.Equal("faceres", read.ModelId);
        Assert.Equal(1024, read.Dimension);
        Assert.Equal(0, read.FaceCount);
        Assert.Equal(created.Id, Assert.Single(listed.Collections).Id);
        Assert.Empty(listed.Page.NextPageToken);
    }

    [Fact]
    public async Task Names_are_unique_within_a_tenant_but_not_across_tenants()
    {
        var first = await identity.NewTenantAsync();
        var second = await identity.NewTenantAsync();
        await Client.CreateCollectionAsync(new CreateCollectionRequest { TenantId = first, Name = "gallery" });

        var clash = await Assert.ThrowsAsync<RpcException>(() =>
            Client.CreateCollectionAsync(new CreateCollectionRequest { TenantId = first, Name = "gallery" }).ResponseAsync);
        var other = await Client.CreateCollectionAsync(new CreateCollectionRequest { TenantId = second, Name = "gallery" });

        Assert.Equal(StatusCode.AlreadyExists, clash.StatusCode);
        Assert.Equal("gallery", other.Name);
    }

    [Fact]
    public async Task Another_tenants_collection_is_not_found_and_survives_its_delete_attempt()
    {
        var owner = await identity.NewTenantAsync();
        var stranger = await identity.NewTenantAsync();
        var collection = await Client.CreateCollectionAsync(new CreateCollectionRequest { TenantId = owner, Name = "private" });

        var get = await Assert.ThrowsAsync<RpcException>(() => Client.GetCollectionAsync(
            new GetCollectionRequest { TenantId = stranger, CollectionId = collection.Id }).ResponseAsync);
        var delete = await Assert.ThrowsAsync<RpcException>(() => Client.DeleteCollectionAsync(
            new DeleteCollectionRequest { TenantId = stranger, CollectionId = collection.Id }).ResponseAsync);
        var strangersList = await Client.ListCollectionsAsync(new ListCollectionsRequest { TenantId = stranger });
        var stillThere = await Client.GetCollectionAsync(new GetCollectionRequest { TenantId = owner, CollectionId = collection.Id });

        Assert.Equal(StatusCode.NotFound, get.StatusCode);
        Assert.Equal(StatusCode.NotFound, delete.StatusCode);
        Assert.Empty(strangersList.Collections);
        Assert.Equal("private", stillThere.Name);
    }

    [Fact]
    public async Task Pages_visit_every_collection_exactly_once_in_creation_order()
    {
        var tenant = await identity.NewTenantAsync();
        var names = Enumerable.Range(0, 7).Select(i => $"c{i}").ToList();
        foreach (var name in names)
        {
            await Client.CreateCollectionAsync(new CreateCollectionRequest { TenantId = tenant, Name = name });
        }

        var seen = new List<string>();
        var pages = 0;
        var token = string.Empty;
        do
        {
            var page = await Client.ListCollectionsAsync(new ListCollectionsRequest
            {
                TenantId = tenant,
                Page = new PageRequest { PageSize = 3, PageToken = token },
            });
            seen.AddRange(page.Collections.Select(c => c.Name));
            token = page.Page.NextPageToken;
            pages++;
        }
        while (token.Length > 0);

        Assert.Equal(names, seen);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task A_deleted_collection_is_gone()
    {
        var tenant = await identity.NewTenantAsync();
        var collection = await Client.CreateCollectionAsync(new CreateCollectionRequest { TenantId = tenant, Name = "temporary" });

        await Client.DeleteCollectionAsync(new DeleteCollectionRequest { TenantId = tenant, CollectionId = collection.Id });

        var get = await Assert.ThrowsAsync<RpcException>(() => Client.GetCollectionAsync(
            new GetCollectionRequest { TenantId = tenant, CollectionId = collection.Id }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, get.StatusCode);
    }

    [Fact]
    public async Task A_collection_keeps_the_false_accept_rate_it_was_created_with_and_zero_means_the_default()
    {
        var tenant = await identity.NewTenantAsync();

        var strict = await Client.CreateCollectionAsync(new CreateCollectionRequest { TenantId = tenant, Name = "strict", FalseAcceptRate = 0.001 });
        var plain = await Client.CreateCollectionAsync(new CreateCollectionRequest { TenantId = tenant, Name = "plain" });

        Assert.Equal(0.001, (await Client.GetCollectionAsync(new GetCollectionRequest { TenantId = tenant, CollectionId = strict.Id })).FalseAcceptRate);
        Assert.Equal(0, (await Client.GetCollectionAsync(new GetCollectionRequest { TenantId = tenant, CollectionId = plain.Id })).FalseAcceptRate);
    }

    [Fact]
    public async Task A_collection_keeps_the_profile_it_was_created_with_and_empty_means_the_default()
    {
        var tenant = await identity.NewTenantAsync();

        var quick = await Client.CreateCollectionAsync(new CreateCollectionRequest { TenantId = tenant, Name = "quick", Profile = "fast" });
        var plain = await Client.CreateCollectionAsync(new CreateCollectionRequest { TenantId = tenant, Name = "plain" });

        Assert.Equal("fast", quick.Profile);
        Assert.Equal("fast", (await Client.GetCollectionAsync(new GetCollectionRequest { TenantId = tenant, CollectionId = quick.Id })).Profile);
        Assert.Equal(string.Empty, (await Client.GetCollectionAsync(new GetCollectionRequest { TenantId = tenant, CollectionId = plain.Id })).Profile);
        var listed = await Client.ListCollectionsAsync(new ListCollectionsRequest { TenantId = tenant });
        Assert.Equal("fast", Assert.Single(listed.Collections, c => c.Id == quick.Id).Profile);
    }

    [Theory]
    [InlineData("Fast")]
    [InlineData("fast profile")]
    [InlineData("a-profile-name-longer-than-32-chars")]
    public async Task A_profile_that_is_not_a_lower_case_name_of_up_to_32_characters_is_an_invalid_argument(string profile)
    {
        var tenant = await identity.NewTenantAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Client.CreateCollectionAsync(new CreateCollectionRequest { TenantId = tenant, Name = "odd", Profile = profile }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("profile", error.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-0.01)]
    [InlineData(0.6)]
    [InlineData(double.NaN)]
    public async Task A_false_accept_rate_outside_zero_to_one_half_is_an_invalid_argument(double rate)
    {
        var tenant = await identity.NewTenantAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Client.CreateCollectionAsync(new CreateCollectionRequest { TenantId = tenant, Name = "odd", FalseAcceptRate = rate }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("false_accept_rate", error.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("slash/name")]
    public async Task An_invalid_name_is_an_invalid_argument(string name)
    {
        var tenant = await identity.NewTenantAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Client.CreateCollectionAsync(new CreateCollectionRequest { TenantId = tenant, Name = name }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("collection name", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Updating_the_name_bumps_the_version()
    {
        var tenant = await identity.NewTenantAsync();
        var collection = await Client.CreateCollectionAsync(new CreateCollectionRequest { TenantId = tenant, Name = "before" });

        var updated = await Client.UpdateCollectionAsync(new UpdateCollectionRequest
        {
            TenantId = tenant,
            CollectionId = collection.Id,
            Name = "after",
            UpdateMask = new FieldMask { Paths = { "name" } },
        });

        Assert.Equal("after", updated.Name);
        Assert.Equal(collection.Version + 1, updated.Version);
    }

    [Fact]
    public async Task With_HnswM_set_each_collection_gets_its_own_partition_whose_code_index_serves_its_searches()
    {
        await using var indexing = IdentityServiceFixture.Start(identity.Database, identity.Servers.Redis, ("Identity:HnswM", "32"));
        var (client, http) = await IdentityServiceFixture.ConnectAsync(indexing);
        using var _ = http;
        var tenant = await identity.NewTenantAsync();
        var collection = await client.CreateCollectionAsync(new CreateCollectionRequest { TenantId = tenant, Name = "indexed" });
        var partition = "faces_" + Guid.Parse(collection.Id).ToString("N");

        await using var connection = new NpgsqlConnection(identity.Database);
        await connection.OpenAsync();
        await using (var index = new NpgsqlCommand(
            $"SELECT string_agg(indexdef, ' | ') FROM pg_indexes WHERE tablename = '{partition}' AND indexdef LIKE '%hnsw%'", connection))
        {
            var definition = (string?)await index.ExecuteScalarAsync();
            Assert.NotNull(definition);
            Assert.Contains("bit_hamming_ops", definition, StringComparison.Ordinal);
            Assert.Contains("bit(1024)", definition, StringComparison.Ordinal);
            Assert.DoesNotContain("halfvec_cosine_ops", definition, StringComparison.Ordinal);
        }

        // The candidate ordering GalleryStore asks for must be one the partition's HNSW index can produce (an empty
        // partition is cheaper to sort, hence enable_sort = off).
        var code = new string('0', 1023) + "1";
        await using var transaction = await connection.BeginTransactionAsync();
        await using var plan = new NpgsqlCommand(
            "SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off; EXPLAIN SELECT \"Id\" FROM faces WHERE \"CollectionId\" = '" + collection.Id +
            "' ORDER BY \"Code\"::bit(1024) <~> B'" + code + "'::bit(1024) LIMIT 200", connection, transaction);
        await using var reader = await plan.ExecuteReaderAsync();
        var lines = new List<string>();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(0));
        }

        Assert.Contains(lines, line => line.Contains(partition + "_codes", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_collection_s_codes_are_read_from_an_index_without_touching_the_embeddings()
    {
        var tenant = await identity.NewTenantAsync();
        var collection = (await Client.NewCollectionAsync(tenant)).Id;
        var subject = (await Client.NewSubjectAsync(tenant, collection, "someone")).Id;
        var random = new Random(5);
        await Client.EnrollAsync(tenant, collection, subject, Enumerable.Range(0, 3).Select(_ => Galleries.RandomUnit(random)));

        await using var connection = new NpgsqlConnection(identity.Database);
        await connection.OpenAsync();
        await using (var vacuum = new NpgsqlCommand($"VACUUM faces_{Guid.Parse(collection):N}", connection))
        {
            await vacuum.ExecuteNonQueryAsync();
        }

        // The plan the read gets when the partition is large (on 3 rows a sequential scan is cheaper, hence the settings).
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var settings = new NpgsqlCommand("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off", connection, transaction))
        {
            await settings.ExecuteNonQueryAsync();
        }

        await using var plan = new NpgsqlCommand("EXPLAIN " + FacePlatform.Identity.Storage.GalleryStore.CodesSql, connection, transaction);
        plan.Parameters.Add(new() { Value = Guid.Parse(collection) });
        plan.Parameters.Add(new() { Value = long.MinValue });
        await using var reader = await plan.ExecuteReaderAsync();
        var lines = new List<string>();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(0));
        }

        Assert.Contains(lines, line => line.Contains("Index Only Scan", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Deleting_a_collection_drops_its_partition()
    {
        var tenant = await identity.NewTenantAsync();
        var collection = await Client.CreateCollectionAsync(new CreateCollectionRequest { TenantId = tenant, Name = "dropped" });

        await Client.DeleteCollectionAsync(new DeleteCollectionRequest { TenantId = tenant, CollectionId = collection.Id });

        await using var connection = new NpgsqlConnection(identity.Database);
        await connection.OpenAsync();
        await using var exists = new NpgsqlCommand(
            $"SELECT to_regclass('faces_{Guid.Parse(collection.Id):N}') IS NOT NULL", connection);
        Assert.False((bool)(await exists.ExecuteScalarAsync())!);
    }
}
