using FacePlatform.Contracts.Face.V1;
using FacePlatform.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using System.Net;
using Grpc.Net.Client.Configuration;
using Grpc.Net.Client.Web;

namespace FacePlatform.Client;

/// <summary>
/// The public gRPC API (<c>faceplatform.face.v1.FaceService</c>) with the API key in every call's metadata, a deadline on
/// every call that has none, and retries on <c>UNAVAILABLE</c> through the channel's service config (other
/// statuses are answers and never retried). <see cref="Service"/> reaches every RPC; the methods here cover the
/// common ones. Failures surface as <see cref="RpcException"/> with the platform's status and message.
/// </summary>
public sealed class FacePlatformGrpcClient : IDisposable
{
    // The largest photo the gateway accepts is 20 MB; a call whose message is larger than the retry buffer is sent
    // once and never retried, so the buffer holds one such photo (grpc-dotnet's default is 1 MB).
    private const long RetryBufferPerCall = 24L * 1024 * 1024;
    private const long RetryBufferTotal = 64L * 1024 * 1024;

    private readonly GrpcChannel _channel;

    /// <summary>A client of <paramref name="options"/>' gRPC address.</summary>
    /// <param name="options">Address, API key, timeout and retries.</param>
    /// <param name="handler">The HTTP handler of the channel (under the grpc-web one when <see cref="FacePlatformClientOptions.GrpcWeb"/> is set); null for the default.</param>
    public FacePlatformGrpcClient(FacePlatformClientOptions options, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var channelOptions = new GrpcChannelOptions
        {
            ServiceConfig = new ServiceConfig { MethodConfigs = { RetryOnUnavailable(options) } },
            MaxRetryBufferPerCallSize = RetryBufferPerCall,
            MaxRetryBufferSize = RetryBufferTotal,
            MaxReceiveMessageSize = 64 * 1024 * 1024,
        };
        if (options.GrpcWeb)
        {
            handler = new GrpcWebHandler(GrpcWebMode.GrpcWeb, handler ?? new HttpClientHandler());
            channelOptions.HttpVersion = HttpVersion.Version11;
            channelOptions.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        if (handler is not null)
        {
            channelOptions.HttpHandler = handler;
            channelOptions.DisposeHttpClient = true;
        }

        _channel = GrpcChannel.ForAddress(FacePlatformClientOptions.Require(options.GrpcAddress, "gRPC"), channelOptions);
        Service = new FaceService.FaceServiceClient(_channel.Intercept(new ApiKeyInterceptor(options.ApiKey, options.Timeout)));
    }

    /// <summary>The generated client of every RPC, already carrying the key, the default deadline and the retries.</summary>
    public FaceService.FaceServiceClient Service { get; }

    /// <summary>Creates a collection bound to the platform's default recogniser.</summary>
    public async Task<Collection> CreateCollectionAsync(string name, string description = "", CancellationToken cancellationToken = default) =>
        (await Service.CreateCollectionAsync(new CreateCollectionRequest { Name = name, Description = description },
            cancellationToken: cancellationToken).ConfigureAwait(false)).Collection;

    /// <summary>Every collection of the key's tenant, all pages read.</summary>
    public async Task<IReadOnlyList<Collection>> ListCollectionsAsync(CancellationToken cancellationToken = default)
    {
        var all = new List<Collection>();
        var token = string.Empty;
        do
        {
            var page = await Service.ListCollectionsAsync(new ListCollectionsRequest { Page = new PageRequest { PageSize = 500, PageToken = token } },
                cancellationToken: cancellationToken).ConfigureAwait(false);
            all.AddRange(page.Collections);
            token = page.Page?.NextPageToken ?? string.Empty;
        }
        while (token.Length > 0);

        return all;
    }

    /// <summary>Deletes a collection with its subjects and faces.</summary>
    public async Task<DeleteCollectionResponse> DeleteCollectionAsync(string collectionId, CancellationToken cancellationToken = default) =>
        await Service.DeleteCollectionAsync(new DeleteCollectionRequest { CollectionId = collectionId }, cancellationToken: cancellationToken)
            .ConfigureAwait(false);

    /// <summary>Creates a subject (a known person) in a collection.</summary>
    public async Task<Subject> CreateSubjectAsync(string collectionId, string externalId, string displayName = "", CancellationToken cancellationToken = default) =>
        (await Service.CreateSubjectAsync(new CreateSubjectRequest { CollectionId = collectionId, ExternalId = externalId, DisplayName = displayName },
            cancellationToken: cancellationToken).ConfigureAwait(false)).Subject;

    /// <summary>
    /// Enrols the face of a photo for a subject. <paramref name="requestId"/> makes a retried enrolment idempotent;
    /// <paramref name="largestFace"/> takes the largest face of a photo that shows several instead of refusing it.
    /// </summary>
    public async Task<EnrollFaceResponse> EnrollAsync(string collectionId, string subjectId, ReadOnlyMemory<byte> photo,
        string? requestId = null, bool largestFace = false, CancellationToken cancellationToken = default) =>
        await Service.EnrollFaceAsync(new EnrollFaceRequest
        {
            CollectionId = collectionId,
            SubjectId = subjectId,
            Image = Photo(photo),
            RequestId = requestId ?? string.Empty,
            Face = largestFace ? "largest" : string.Empty,
        }, cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>Searches a collection with every face of a photo; <paramref name="topK"/> 0 = the platform's default.</summary>
    public async Task<SearchResponse> SearchAsync(string collectionId, ReadOnlyMemory<byte> photo, int topK = 0,
        float? threshold = null, CancellationToken cancellationToken = default)
    {
        var call = new SearchRequest { CollectionId = collectionId, Image = Photo(photo), TopK = topK };
        if (threshold is { } value)
        {
            call.Threshold = value;
        }

        return await Service.SearchAsync(call, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Same person or not: the largest face of each photo.</summary>
    public async Task<VerifyResponse> VerifyAsync(ReadOnlyMemory<byte> photo1, ReadOnlyMemory<byte> photo2, CancellationToken cancellationToken = default) =>
        await Service.VerifyAsync(new VerifyRequest { Image1 = Photo(photo1), Image2 = Photo(photo2) }, cancellationToken: cancellationToken)
            .ConfigureAwait(false);

    /// <summary>Same person or not: the largest face of a photo against an enrolled subject.</summary>
    public async Task<VerifyResponse> VerifySubjectAsync(ReadOnlyMemory<byte> photo, string collectionId, string subjectId,
        CancellationToken cancellationToken = default) =>
        await Service.VerifyAsync(new VerifyRequest { Image1 = Photo(photo), CollectionId = collectionId, SubjectId = subjectId },
            cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>Every face of a photo with its attributes, and its matches when <paramref name="collectionId"/> is given.</summary>
    public async Task<AnalyzeResponse> AnalyzeAsync(ReadOnlyMemory<byte> photo, string? collectionId = null, CancellationToken cancellationToken = default) =>
        await Service.AnalyzeAsync(new AnalyzeRequest { Image = Photo(photo), CollectionId = collectionId ?? string.Empty },
            cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public void Dispose() => _channel.Dispose();

    private static Image Photo(ReadOnlyMemory<byte> bytes) => new() { Content = ByteString.CopyFrom(bytes.Span) };

    private static MethodConfig RetryOnUnavailable(FacePlatformClientOptions options) => new()
    {
        Names = { MethodName.Default },
        RetryPolicy = options.MaxAttempts < 2 ? null : new RetryPolicy
        {
            MaxAttempts = options.MaxAttempts,
            InitialBackoff = options.InitialBackoff,
            MaxBackoff = TimeSpan.FromSeconds(5),
            BackoffMultiplier = 2,
            RetryableStatusCodes = { StatusCode.Unavailable },
        },
    };

    /// <summary>Adds the key to every call's metadata and the default deadline to calls without one.</summary>
    private sealed class ApiKeyInterceptor(string apiKey, TimeSpan timeout) : Interceptor
    {
        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request,
            ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation) =>
            continuation(request, WithKey(context));

        public override TResponse BlockingUnaryCall<TRequest, TResponse>(TRequest request,
            ClientInterceptorContext<TRequest, TResponse> context, BlockingUnaryCallContinuation<TRequest, TResponse> continuation) =>
            continuation(request, WithKey(context));

        private ClientInterceptorContext<TRequest, TResponse> WithKey<TRequest, TResponse>(ClientInterceptorContext<TRequest, TResponse> context)
            where TRequest : class
            where TResponse : class
        {
            var headers = context.Options.Headers ?? [];
            if (headers.Get("x-api-key") is null)
            {
                headers.Add("x-api-key", apiKey);
            }

            var options = context.Options.WithHeaders(headers);
            if (options.Deadline is null)
            {
                options = options.WithDeadline(DateTime.UtcNow.Add(timeout));
            }

            return new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, options);
        }
    }
}
