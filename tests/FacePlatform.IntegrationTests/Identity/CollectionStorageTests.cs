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
    public async Task The_migration_creates_an_hnsw_cosine_index_that_pgvector_uses_for_nearest_neighbours()
    {
        await using var connection = new NpgsqlConnection(identity.Database);
        await connection.OpenAsync();
        await using (var index = new NpgsqlCommand(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'faces' AND indexdef LIKE '%hnsw%'", connection))
        {
            var definition = (string?)await index.ExecuteScalarAsync();
            Assert.NotNull(definition);
            Assert.Contains("vector_cosine_ops", definition, StringComparison.Ordinal);
        }

        // Rows written straight into the table: the search RPC arrives with issue #5; this proves the column and index.
        var tenant = Guid.Parse(await identity.NewTenantAsync());
        await using var transaction = await connection.BeginTransactionAsync();
        var collection = Guid.CreateVersion7();
        var subject = Guid.CreateVersion7();
        await Execute($"INSERT INTO collections (\"Id\",\"TenantId\",\"Name\",\"Description\",\"ModelId\",\"Dimension\",\"Version\",\"CreatedAt\") VALUES ('{collection}','{tenant}','nn','','faceres',1024,1,now())");
        await Execute($"INSERT INTO subjects (\"Id\",\"TenantId\",\"CollectionId\",\"ExternalId\",\"DisplayName\",\"Metadata\",\"CreatedAt\") VALUES ('{subject}','{tenant}','{collection}','s','','{{}}',now())");
        for (var axis = 0; axis < 3; axis++)
        {
            var vector = "[" + string.Join(',', Enumerable.Range(0, 1024).Select(i => i == axis ? "1" : "0")) + "]";
            await Execute($"INSERT INTO faces (\"Id\",\"TenantId\",\"CollectionId\",\"SubjectId\",\"ModelId\",\"Embedding\",\"Quality\",\"BoxX\",\"BoxY\",\"BoxWidth\",\"BoxHeight\",\"ImageSha256\",\"CreatedAt\") VALUES ('{Guid.CreateVersion7()}','{tenant}','{collection}','{subject}','faceres','{vector}',1,0,0,1,1,'axis{axis}',now())");
        }

        var query = "[" + string.Join(',', Enumerable.Range(0, 1024).Select(i => i switch { 1 => "0.9", 2 => "0.1", _ => "0" })) + "]";
        await using var nearest = new NpgsqlCommand(
            $"SET LOCAL enable_seqscan = off; SELECT \"ImageSha256\" FROM faces ORDER BY \"Embedding\" <=> '{query}' LIMIT 1", connection, transaction);
        Assert.Equal("axis1", (string?)await nearest.ExecuteScalarAsync());
        await using var plan = new NpgsqlCommand(
            $"SET LOCAL enable_seqscan = off; EXPLAIN SELECT \"Id\" FROM faces ORDER BY \"Embedding\" <=> '{query}' LIMIT 1", connection, transaction);
        await using var reader = await plan.ExecuteReaderAsync();
        var lines = new List<string>();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(0));
        }

        Assert.Contains(lines, line => line.Contains("IX_faces_Embedding", StringComparison.Ordinal));

        async Task Execute(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            await command.ExecuteNonQueryAsync();
        }
    }
}
