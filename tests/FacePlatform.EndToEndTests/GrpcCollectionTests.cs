using FacePlatform.Contracts.Face.V1;
using FacePlatform.Contracts.V1;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;

namespace FacePlatform.EndToEndTests;

/// <summary>The public gRPC API (<c>faceplatform.face.v1.FaceService</c>) as another service calls it.</summary>
[Collection(PlatformCollection.Name)]
public sealed class GrpcCollectionTests(PlatformFixture platform)
{
    [Fact]
    public async Task Create_list_get_and_delete_a_collection_over_grpc()
    {
        var (_, key) = await platform.NewTenantAsync();
        var client = platform.FaceClient;

        var created = (await client.CreateCollectionAsync(new CreateCollectionRequest { Name = "grpc-gallery", Description = "via gRPC" },
            PlatformFixture.WithKey(key))).Collection;
        var listed = await client.ListCollectionsAsync(new ListCollectionsRequest(), PlatformFixture.WithKey(key));
        var got = (await client.GetCollectionAsync(new GetCollectionRequest { CollectionId = created.Id }, PlatformFixture.WithKey(key))).Collection;
        await client.DeleteCollectionAsync(new DeleteCollectionRequest { CollectionId = created.Id }, PlatformFixture.WithKey(key));
        var gone = await Assert.ThrowsAsync<RpcException>(() =>
            client.GetCollectionAsync(new GetCollectionRequest { CollectionId = created.Id }, PlatformFixture.WithKey(key)).ResponseAsync);

        Assert.Equal(created.Id, Assert.Single(listed.Collections).Id);
        Assert.Equal("via gRPC", got.Description);
        Assert.Equal(StatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Without_a_key_the_call_is_unauthenticated()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            platform.FaceClient.ListCollectionsAsync(new ListCollectionsRequest(), PlatformFixture.WithKey(null)).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task A_key_of_another_tenant_gets_not_found()
    {
        var (_, owner) = await platform.NewTenantAsync();
        var (_, stranger) = await platform.NewTenantAsync();
        var created = (await platform.FaceClient.CreateCollectionAsync(new CreateCollectionRequest { Name = "theirs" }, PlatformFixture.WithKey(owner))).Collection;

        var get = await Assert.ThrowsAsync<RpcException>(() => platform.FaceClient.GetCollectionAsync(
            new GetCollectionRequest { CollectionId = created.Id }, PlatformFixture.WithKey(stranger)).ResponseAsync);
        var delete = await Assert.ThrowsAsync<RpcException>(() => platform.FaceClient.DeleteCollectionAsync(
            new DeleteCollectionRequest { CollectionId = created.Id }, PlatformFixture.WithKey(stranger)).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, get.StatusCode);
        Assert.Equal(StatusCode.NotFound, delete.StatusCode);
    }

    [Fact]
    public async Task A_read_only_key_is_denied_writes()
    {
        var (tenant, _) = await platform.NewTenantAsync();
        var reader = await platform.NewKeyAsync(tenant, "read");

        var error = await Assert.ThrowsAsync<RpcException>(() => platform.FaceClient.CreateCollectionAsync(
            new CreateCollectionRequest { Name = "denied" }, PlatformFixture.WithKey(reader)).ResponseAsync);

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
    }

    [Fact]
    public async Task Analyze_without_a_photo_is_an_invalid_argument_with_a_reason()
    {
        var (_, key) = await platform.NewTenantAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => platform.FaceClient.AnalyzeAsync(
            new AnalyzeRequest(), PlatformFixture.WithKey(key)).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("image", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reflection_on_the_public_port_lists_the_face_service()
    {
        var reflection = new ServerReflection.ServerReflectionClient(platform.Channel);
        using var call = reflection.ServerReflectionInfo();

        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = string.Empty });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();

        Assert.Contains("faceplatform.face.v1.FaceService", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }

    [Fact]
    public async Task Every_service_reports_serving_on_grpc_health()
    {
        foreach (var service in platform.Services)
        {
            // The gateway's public port is h2c; the internal services answer only the gateway's certificate.
            using var channel = service == platform.Gateway
                ? GrpcChannel.ForAddress(service.GrpcAddress)
                : PlatformFixture.InternalChannel(service);
            var answer = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(10));

            Assert.True(answer.Status == HealthCheckResponse.Types.ServingStatus.Serving, $"{service.Name}: {answer.Status}");
        }
    }
}
