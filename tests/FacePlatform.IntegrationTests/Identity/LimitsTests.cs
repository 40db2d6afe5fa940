using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using FacePlatform.ServiceDefaults.Errors;
using FacePlatform.Testing;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Mvc.Testing;

namespace FacePlatform.IntegrationTests.Identity;

/// <summary>
/// Identity's limits and quotas against real PostgreSQL: what PostgreSQL would refuse (NUL, oversize) is
/// INVALID_ARGUMENT, and per-tenant quotas hold under concurrent writers. The service runs with small quotas; every
/// test makes its own tenant, so each starts at zero.
/// </summary>
public sealed class LimitsTests : IAsyncLifetime
{
    private const int CollectionQuota = 2;
    private const int SubjectQuota = 5;
    private const int FaceQuota = 3;
    private const int MetadataQuota = 300;

    private readonly Random _random = new(16);
    private WebApplicationFactory<Program> _factory = null!;
    private Servers _servers = null!;
    private string _database = string.Empty;
    private IdentityService.IdentityServiceClient _client = null!;

    public async Task InitializeAsync()
    {
        _servers = await Infrastructure.GetAsync();
        _database = await _servers.CreateDatabaseAsync("limits");
        _factory = IdentityServiceFixture.Start(_database, _servers.Redis,
            ("Quotas:Collections", $"{CollectionQuota}"), ("Quotas:Subjects", $"{SubjectQuota}"), ("Quotas:Faces", $"{FaceQuota}"),
            ("Quotas:MetadataBytes", $"{MetadataQuota}"), ("Limits:MaxMetadataBytes", "200"));
        (_client, _) = await IdentityServiceFixture.ConnectAsync(_factory);
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _servers.DropDatabaseAsync(_database);
    }

    private async Task<string> NewTenantAsync() =>
        (await _client.CreateTenantAsync(new CreateTenantRequest { Name = "t-" + Guid.NewGuid().ToString("N")[..12] })).Id;

    [Theory]
    [InlineData("external_id")]
    [InlineData("display_name")]
    [InlineData("metadata")]
    public async Task A_NUL_anywhere_in_a_subject_is_an_invalid_argument_not_a_database_error(string field)
    {
        var tenant = await NewTenantAsync();
        var collection = await _client.NewCollectionAsync(tenant);
        var request = new CreateSubjectRequest { TenantId = tenant, CollectionId = collection.Id, ExternalId = "ok", DisplayName = "ok" };
        switch (field)
        {
            case "external_id": request.ExternalId = "a\0b"; break;
            case "display_name": request.DisplayName = "a\0b"; break;
            default: request.Metadata = new Struct { Fields = { ["note"] = Value.ForString("a\0b") } }; break;
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => _client.CreateSubjectAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("NUL", error.Status.Detail, StringComparison.Ordinal);
        Assert.NotEmpty(RpcErrors.FieldViolations(error));
    }

    [Fact]
    public async Task A_NUL_in_a_listing_filter_is_an_invalid_argument()
    {
        var tenant = await NewTenantAsync();
        var collection = await _client.NewCollectionAsync(tenant);

        var error = await Assert.ThrowsAsync<RpcException>(() => _client.ListSubjectsAsync(
            new ListSubjectsRequest { TenantId = tenant, CollectionId = collection.Id, Filter = "\0" }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task An_api_key_name_over_100_characters_is_an_invalid_argument()
    {
        var tenant = await NewTenantAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => _client.CreateApiKeyAsync(
            new CreateApiKeyRequest { TenantId = tenant, Name = new string('k', 101), Scopes = { Scope.Read } }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("name", Assert.Single(RpcErrors.FieldViolations(error)).Field);
    }

    [Fact]
    public async Task Metadata_over_the_size_limit_is_refused_on_create_and_on_update()
    {
        var tenant = await NewTenantAsync();
        var collection = await _client.NewCollectionAsync(tenant);
        var big = new Struct { Fields = { ["note"] = Value.ForString(new string('m', 300)) } };
        var subject = await _client.NewSubjectAsync(tenant, collection.Id, "s");

        var onCreate = await Assert.ThrowsAsync<RpcException>(() => _client.CreateSubjectAsync(new CreateSubjectRequest
        {
            TenantId = tenant, CollectionId = collection.Id, ExternalId = "big", Metadata = big,
        }).ResponseAsync);
        var onUpdate = await Assert.ThrowsAsync<RpcException>(() => _client.UpdateSubjectAsync(new UpdateSubjectRequest
        {
            TenantId = tenant, CollectionId = collection.Id, SubjectId = subject.Id, Metadata = big, UpdateMask = new FieldMask { Paths = { "metadata" } },
        }).ResponseAsync);

        Assert.All([onCreate, onUpdate], e => Assert.Contains("at most 200 bytes", e.Status.Detail, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_collection_quota_is_a_failed_precondition_naming_the_quota_and_its_value()
    {
        var tenant = await NewTenantAsync();
        for (var i = 0; i < CollectionQuota; i++)
        {
            await _client.NewCollectionAsync(tenant, $"c{i}");
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => _client.NewCollectionAsync(tenant, "one-too-many"));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.True(RpcErrors.IsQuotaFailure(error));
        Assert.Contains($"at most {CollectionQuota} collections", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(403, StatusMapping.ToHttpStatus(error));
    }

    [Fact]
    public async Task Sixteen_concurrent_writers_cannot_overshoot_the_subject_quota()
    {
        var tenant = await NewTenantAsync();
        var first = await _client.NewCollectionAsync(tenant, "a");
        var second = await _client.NewCollectionAsync(tenant, "b");

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 16).Select(async i =>
        {
            try
            {
                await _client.NewSubjectAsync(tenant, i % 2 == 0 ? first.Id : second.Id, $"s{i}");
                return StatusCode.OK;
            }
            catch (RpcException error)
            {
                return error.StatusCode;
            }
        }));

        Assert.Equal(SubjectQuota, outcomes.Count(o => o == StatusCode.OK));
        Assert.All(outcomes.Where(o => o != StatusCode.OK), o => Assert.Equal(StatusCode.FailedPrecondition, o));
        var counts = new[] { first, second }.Select(c => _client.GetCollection(new GetCollectionRequest { TenantId = tenant, CollectionId = c.Id }).SubjectCount);
        Assert.Equal(SubjectQuota, counts.Sum());
    }

    [Fact]
    public async Task Concurrent_enrolments_cannot_overshoot_the_face_quota()
    {
        var tenant = await NewTenantAsync();
        var collection = await _client.NewCollectionAsync(tenant);
        var subjects = new List<Subject>();
        for (var i = 0; i < 4; i++)
        {
            subjects.Add(await _client.NewSubjectAsync(tenant, collection.Id, $"s{i}"));
        }

        var faces = Enumerable.Range(0, 8).Select(_ => Galleries.RandomUnit(_random)).ToList();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            try
            {
                await _client.EnrollAsync(tenant, collection.Id, subjects[i % 4].Id, [faces[i]], firstSha: i);
                return StatusCode.OK;
            }
            catch (RpcException error)
            {
                return error.StatusCode;
            }
        }));

        Assert.Equal(FaceQuota, outcomes.Count(o => o == StatusCode.OK));
        Assert.All(outcomes.Where(o => o != StatusCode.OK), o => Assert.Equal(StatusCode.FailedPrecondition, o));
        Assert.Equal(FaceQuota, (await _client.GetCollectionAsync(new GetCollectionRequest { TenantId = tenant, CollectionId = collection.Id })).FaceCount);
    }

    [Fact]
    public async Task The_metadata_quota_counts_every_subject_of_the_tenant_and_an_update_replaces_its_old_bytes()
    {
        var tenant = await NewTenantAsync();
        var collection = await _client.NewCollectionAsync(tenant);
        // ~130 bytes each: two fit the 300-byte quota, a third does not.
        var metadata = new Struct { Fields = { ["note"] = Value.ForString(new string('m', 120)) } };
        var subjects = new List<Subject>();
        for (var i = 0; i < 2; i++)
        {
            subjects.Add(await _client.CreateSubjectAsync(new CreateSubjectRequest
            {
                TenantId = tenant, CollectionId = collection.Id, ExternalId = $"s{i}", Metadata = metadata,
            }));
        }

        var third = await Assert.ThrowsAsync<RpcException>(() => _client.CreateSubjectAsync(new CreateSubjectRequest
        {
            TenantId = tenant, CollectionId = collection.Id, ExternalId = "s2", Metadata = metadata,
        }).ResponseAsync);
        var rewrite = await _client.UpdateSubjectAsync(new UpdateSubjectRequest
        {
            TenantId = tenant, CollectionId = collection.Id, SubjectId = subjects[0].Id, Metadata = metadata,
            UpdateMask = new FieldMask { Paths = { "metadata" } },
        });

        Assert.True(RpcErrors.IsQuotaFailure(third));
        Assert.Contains("metadata bytes", third.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(metadata, rewrite.Metadata);
    }
}
