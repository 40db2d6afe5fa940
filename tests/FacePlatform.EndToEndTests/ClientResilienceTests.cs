using System.Net;
using System.Net.Sockets;
using FacePlatform.Client;
using Grpc.Core;

namespace FacePlatform.EndToEndTests;

/// <summary>
/// Retries, deadlines and cancellation of FacePlatform.Client against real sockets: a port where nothing listens
/// (every attempt is refused, which both transports treat as UNAVAILABLE) and a listener that accepts and never answers.
/// </summary>
public sealed class ClientResilienceTests
{
    [Fact]
    public async Task The_rest_client_tries_a_refused_connection_max_attempts_times()
    {
        var attempts = new CountingHandler(new SocketsHttpHandler());
        using var client = new FacePlatformRestClient(Options(Processes.FreePort(), maxAttempts: 3), new HttpClient(attempts));

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.ListCollectionsAsync());

        Assert.Equal(HttpRequestError.ConnectionError, error.HttpRequestError);
        Assert.Equal(3, attempts.Count);
    }

    [Fact]
    public async Task The_grpc_client_retries_unavailable_max_attempts_times()
    {
        // HttpClientHandler, not SocketsHttpHandler: with the latter grpc-dotnet connects through its own subchannel and
        // a refused connection fails the attempt before any request reaches the handler to be counted.
        var attempts = new CountingHandler(new HttpClientHandler());
        using var client = new FacePlatformGrpcClient(Options(Processes.FreePort(), maxAttempts: 3), attempts);

        var error = await Assert.ThrowsAsync<RpcException>(() => client.ListCollectionsAsync());

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal(3, attempts.Count);
    }

    [Fact]
    public async Task A_platform_that_never_answers_ends_in_the_deadline()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var options = Options(port, maxAttempts: 1);
        options.Timeout = TimeSpan.FromSeconds(1);
        using var rest = new FacePlatformRestClient(options);
        using var grpc = new FacePlatformGrpcClient(options);

        await Assert.ThrowsAsync<TimeoutException>(() => rest.ListCollectionsAsync());
        var grpcError = await Assert.ThrowsAsync<RpcException>(() => grpc.ListCollectionsAsync());

        Assert.Equal(StatusCode.DeadlineExceeded, grpcError.StatusCode);
    }

    [Fact]
    public async Task A_cancelled_call_stops_with_the_callers_cancellation()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var options = Options(((IPEndPoint)silent.LocalEndpoint).Port, maxAttempts: 1);
        using var rest = new FacePlatformRestClient(options);
        using var grpc = new FacePlatformGrpcClient(options);
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => rest.ListCollectionsAsync(cancel.Token));
        var grpcError = await Assert.ThrowsAsync<RpcException>(() => grpc.ListCollectionsAsync(cancel.Token));

        Assert.Equal(StatusCode.Cancelled, grpcError.StatusCode);
    }

    [Fact]
    public void Options_without_a_key_are_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new FacePlatformRestClient(new FacePlatformClientOptions
        {
            RestAddress = new Uri("http://127.0.0.1:1"),
        }));

        Assert.Contains(FacePlatformClientOptions.ApiKeyVariable, error.Message, StringComparison.Ordinal);
    }

    private static FacePlatformClientOptions Options(int port, int maxAttempts) => new()
    {
        RestAddress = new Uri($"http://127.0.0.1:{port}"),
        GrpcAddress = new Uri($"http://127.0.0.1:{port}"),
        ApiKey = "fp_test",
        MaxAttempts = maxAttempts,
        InitialBackoff = TimeSpan.FromMilliseconds(10),
    };

    /// <summary>Counts the HTTP requests that reach the wire (one per attempt).</summary>
    private sealed class CountingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _count);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
