using System.Net;
using System.Net.Http.Json;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json;
using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace FacePlatform.EndToEndTests;

/// <summary>
/// Issue 16, "Must show": with the platform up, a gRPC call to identity, embedding or attributes without the
/// gateway's credentials is refused — from loopback and from the machine's own non-loopback address — while the
/// gateway, which holds them, works end to end.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class InternalTrustTests(PlatformFixture platform)
{
    /// <summary>
    /// A refused call: the service said UNAUTHENTICATED or PERMISSION_DENIED, or the connection was refused or closed
    /// before any HTTP/2 exchange (the TLS handshake failed; with TLS 1.3 the client learns it when the server closes
    /// the connection), which grpc-dotnet reports as UNAVAILABLE or INTERNAL carrying the HttpRequestException or the
    /// refused connection's SocketException.
    /// </summary>
    private static bool IsRefused(Status status) =>
        status.StatusCode is StatusCode.Unauthenticated or StatusCode.PermissionDenied
        || (status.StatusCode is StatusCode.Unavailable or StatusCode.Internal
            && status.DebugException is HttpRequestException or SocketException { SocketErrorCode: SocketError.ConnectionRefused });

    /// <summary>One real call of each internal service's own API (identity's tenant listing is the one the issue found open).</summary>
    private IEnumerable<(ServiceProcess Service, Func<GrpcChannel, Task> Call)> InternalCalls()
    {
        var embedding = platform.Services.Single(s => s.Name == "Embedding");
        yield return (platform.Identity, async channel =>
            await new IdentityService.IdentityServiceClient(channel).ListTenantsAsync(new ListTenantsRequest(), deadline: Deadline()));
        yield return (embedding, async channel =>
            await new EmbeddingService.EmbeddingServiceClient(channel).DetectAsync(new DetectRequest(), deadline: Deadline()));
        yield return (platform.Attributes, async channel =>
            await new AttributesService.AttributesServiceClient(channel).PredictAsync(new PredictRequest(), deadline: Deadline()));
    }

    [Fact]
    public async Task The_gateways_certificate_reaches_every_internal_service()
    {
        foreach (var (service, call) in InternalCalls())
        {
            using var channel = PlatformFixture.InternalChannel(service, "gateway");
            var status = await StatusOfAsync(call, channel);

            // Reaching the handler is what counts here: an empty request may well be INVALID_ARGUMENT.
            Assert.False(IsRefused(status), $"{service.Name} refused the gateway: {status}");
        }
    }

    [Fact]
    public async Task A_call_from_loopback_without_a_client_certificate_is_refused()
    {
        foreach (var (service, call) in InternalCalls())
        {
            using var channel = PlatformFixture.InternalChannel(service, caller: null);
            var status = await StatusOfAsync(call, channel);

            Assert.True(IsRefused(status), $"{service.Name} answered a caller without a certificate: {status}");
        }
    }

    [Fact]
    public async Task A_call_in_plain_text_to_the_grpc_port_is_refused()
    {
        foreach (var (service, call) in InternalCalls())
        {
            using var channel = GrpcChannel.ForAddress(new Uri($"http://127.0.0.1:{service.GrpcPort}"));
            var status = await StatusOfAsync(call, channel);

            Assert.True(IsRefused(status), $"{service.Name} answered h2c on its mutual-TLS port: {status}");
        }
    }

    [Fact]
    public async Task A_gateway_certificate_from_another_authority_is_refused()
    {
        var impostor = TestCertificates.Create("impostor");
        foreach (var (service, call) in InternalCalls())
        {
            using var channel = PlatformFixture.InternalChannel(service, "gateway", impostor);
            var status = await StatusOfAsync(call, channel);

            Assert.True(IsRefused(status), $"{service.Name} answered a certificate of another CA: {status}");
        }
    }

    [Fact]
    public async Task A_valid_certificate_of_another_service_is_refused_with_permission_denied()
    {
        foreach (var (service, call) in InternalCalls())
        {
            // Each internal service is valid in the platform CA but none may call another: only the gateway may.
            var caller = service == platform.Identity ? "embedding" : "identity";
            using var channel = PlatformFixture.InternalChannel(service, caller);
            var status = await StatusOfAsync(call, channel);

            Assert.Equal(StatusCode.PermissionDenied, status.StatusCode);
            Assert.Contains(caller, status.Detail, StringComparison.Ordinal);
            Assert.Contains("gateway", status.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task No_grpc_call_is_answered_on_the_plain_http_port()
    {
        foreach (var (service, call) in InternalCalls())
        {
            // h2c with prior knowledge to the HTTP/1.1-only port: no gRPC service answers there.
            using var channel = GrpcChannel.ForAddress(service.HttpAddress);
            var status = await StatusOfAsync(call, channel);
            Assert.NotEqual(StatusCode.OK, status.StatusCode);

            // A gRPC request in HTTP/1.1 (what that port speaks) is not served either.
            using var http = new HttpClient { BaseAddress = service.HttpAddress };
            using var request = new HttpRequestMessage(HttpMethod.Post, "/grpc.health.v1.Health/Check")
            {
                Content = new ByteArrayContent([0, 0, 0, 0, 0]),
            };
            request.Content.Headers.ContentType = new("application/grpc");
            request.Headers.TryAddWithoutValidation("TE", "trailers");
            using var answer = await http.SendAsync(request);
            var grpcStatus = answer.Headers.TryGetValues("grpc-status", out var values) ? values.Single() : null;
            Assert.False(answer.IsSuccessStatusCode && grpcStatus == "0",
                $"{service.Name} answered gRPC on its HTTP port: {(int)answer.StatusCode} grpc-status {grpcStatus}");

            // What the port is for still works.
            Assert.True((await http.GetAsync(new Uri("/healthz", UriKind.Relative))).IsSuccessStatusCode);
        }
    }

    [Fact]
    public async Task The_internal_ports_refuse_connections_on_the_machines_own_non_loopback_addresses()
    {
        var addresses = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .Where(a => !IPAddress.IsLoopback(a) && !a.IsIPv6LinkLocal)
            .ToList();
        Assert.True(addresses.Count > 0, "this machine has no non-loopback address to test from");

        foreach (var (service, _) in InternalCalls())
        {
            foreach (var port in new[] { service.GrpcPort, service.HttpPort })
            {
                foreach (var address in addresses)
                {
                    using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                    var error = await Assert.ThrowsAsync<SocketException>(async () =>
                        await socket.ConnectAsync(new IPEndPoint(address, port)).WaitAsync(TimeSpan.FromSeconds(10)));

                    Assert.True(error.SocketErrorCode == SocketError.ConnectionRefused,
                        $"{service.Name} {address}:{port}: {error.SocketErrorCode}");
                }
            }

            // The same gRPC call, with the gateway's valid certificate, through the non-loopback address: refused too.
            using var channel = GrpcChannel.ForAddress(new Uri($"https://{Host(addresses[0])}:{service.GrpcPort}"),
                new GrpcChannelOptions { HttpHandler = TestCertificates.Platform.ClientHandler("gateway"), DisposeHttpClient = true });
            var status = await StatusOfAsync(InternalCalls().Single(c => c.Service == service).Call, channel);
            Assert.True(status.DebugException is SocketException { SocketErrorCode: SocketError.ConnectionRefused },
                $"{service.Name} via {addresses[0]}: {status}");
        }
    }

    [Fact]
    public async Task The_gateway_still_works_end_to_end_through_its_certificate()
    {
        var (_, key) = await platform.NewTenantAsync("read", "write");
        using var created = await platform.Http.SendAsync(PlatformFixture.Request(HttpMethod.Post, "/v1/collections", key, new { name = "trust" }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        // Analyse goes through embedding and attributes: faces with an age mean both answered the gateway.
        using var analyse = PlatformFixture.Request(HttpMethod.Post, "/v1/analyze", key);
        analyse.Content = Photos.Form(Photos.Obama1);
        using var analysed = await platform.Http.SendAsync(analyse);
        Assert.Equal(HttpStatusCode.OK, analysed.StatusCode);
        var faces = (await analysed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("faces");
        Assert.Equal(1, faces.GetArrayLength());
        Assert.InRange(faces[0].GetProperty("age").GetSingle(), 5, 90);

        using var ready = await platform.Http.GetAsync(new Uri("/readyz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    private static DateTime Deadline() => DateTime.UtcNow.AddSeconds(15);

    private static string Host(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();

    private static async Task<Status> StatusOfAsync(Func<GrpcChannel, Task> call, GrpcChannel channel)
    {
        try
        {
            await call(channel);
            return Status.DefaultSuccess;
        }
        catch (RpcException exception)
        {
            return exception.Status;
        }
    }
}
