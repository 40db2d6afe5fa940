using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using FacePlatform.Client.Rest;
using Polly;
using Polly.Retry;

namespace FacePlatform.Client;

/// <summary>
/// The public REST API (<c>/v1</c>) with the API key on every request (<c>X-Api-Key</c>), a deadline per call (all
/// attempts together) and retries when the gateway answers 503 or no connection could be made — the cases where
/// nothing was done, so even a create is safe to repeat (enrolment carries an <c>Idempotency-Key</c> too). A refusal
/// throws <see cref="FacePlatformApiException"/> with the problem details; a call past its deadline throws
/// <see cref="TimeoutException"/>; the caller's cancellation throws <see cref="OperationCanceledException"/>.
/// </summary>
public sealed class FacePlatformRestClient : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly Uri _baseAddress;
    private readonly string _apiKey;
    private readonly TimeSpan _timeout;
    private readonly ResiliencePipeline<HttpResponseMessage> _retries;

    /// <summary>A client of <paramref name="options"/>' REST address.</summary>
    /// <param name="options">Address, API key, timeout and retries.</param>
    /// <param name="http">An <see cref="HttpClient"/> to send with (e.g. from IHttpClientFactory; its BaseAddress serves when <see cref="FacePlatformClientOptions.RestAddress"/> is unset); null for a new one. Its own timeout should not be shorter than <see cref="FacePlatformClientOptions.Timeout"/>.</param>
    public FacePlatformRestClient(FacePlatformClientOptions options, HttpClient? http = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _ownsHttp = http is null;
        _http = http ?? new HttpClient { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        // The shared HttpClient is not changed: the address and the key go on each request.
        var address = FacePlatformClientOptions.Require(options.RestAddress ?? http?.BaseAddress, "REST").ToString();
        _baseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
        _apiKey = options.ApiKey;
        _timeout = options.Timeout;
        _retries = options.MaxAttempts < 2
            ? ResiliencePipeline<HttpResponseMessage>.Empty
            : new ResiliencePipelineBuilder<HttpResponseMessage>().AddRetry(RetryOnUnavailable(options)).Build();
    }

    /// <summary>Creates a collection bound to the platform's default recogniser.</summary>
    public Task<CollectionView> CreateCollectionAsync(string name, string? description = null, CancellationToken cancellationToken = default) =>
        SendAsync<CollectionView>(HttpMethod.Post, "v1/collections", () => JsonContent.Create(new { name, description }, options: Json), cancellationToken);

    /// <summary>
    /// Creates a collection bound to the recogniser <paramref name="modelId"/>, whose vectors are
    /// <paramref name="dimension"/> long (both may be left out for the platform's default). A collection keeps its
    /// recogniser: moving a gallery to another model means enrolling the photos again into a new collection.
    /// </summary>
    public Task<CollectionView> CreateCollectionAsync(string name, string? description, string? modelId, int? dimension, CancellationToken cancellationToken = default) =>
        CreateCollectionAsync(name, new CollectionSettings(description, modelId, dimension), cancellationToken);

    /// <summary>Creates a collection with the <paramref name="settings"/> it keeps (see <see cref="CollectionSettings"/>).</summary>
    public Task<CollectionView> CreateCollectionAsync(string name, CollectionSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return SendAsync<CollectionView>(HttpMethod.Post, "v1/collections", () => JsonContent.Create(
            new { name, settings.Description, settings.ModelId, settings.Dimension, settings.FalseAcceptRate, settings.Profile }, options: Json), cancellationToken);
    }

    /// <summary>Every collection of the key's tenant, all pages read.</summary>
    public async Task<IReadOnlyList<CollectionView>> ListCollectionsAsync(CancellationToken cancellationToken = default)
    {
        var all = new List<CollectionView>();
        string? token = null;
        do
        {
            var path = "v1/collections?pageSize=500" + (token is null ? string.Empty : "&pageToken=" + Uri.EscapeDataString(token));
            var page = await SendAsync<CollectionPage>(HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false);
            all.AddRange(page.Collections);
            token = page.NextPageToken;
        }
        while (token is not null);

        return all;
    }

    /// <summary>One collection.</summary>
    public Task<CollectionView> GetCollectionAsync(string collectionId, CancellationToken cancellationToken = default) =>
        SendAsync<CollectionView>(HttpMethod.Get, $"v1/collections/{Escape(collectionId)}", null, cancellationToken);

    /// <summary>Deletes a collection with its subjects and faces.</summary>
    public Task<DeleteResult> DeleteCollectionAsync(string collectionId, CancellationToken cancellationToken = default) =>
        SendAsync<DeleteResult>(HttpMethod.Delete, $"v1/collections/{Escape(collectionId)}", null, cancellationToken);

    /// <summary>Creates a subject (a known person) in a collection.</summary>
    public Task<SubjectView> CreateSubjectAsync(string collectionId, string externalId, string? displayName = null,
        CancellationToken cancellationToken = default) =>
        SendAsync<SubjectView>(HttpMethod.Post, $"v1/collections/{Escape(collectionId)}/subjects",
            () => JsonContent.Create(new { externalId, displayName }, options: Json), cancellationToken);

    /// <summary>
    /// One page of a collection's subjects; pass the answer's <c>NextPageToken</c> for the next. <paramref name="filter"/>
    /// keeps subjects whose external id or name starts with it.
    /// </summary>
    public Task<SubjectPage> ListSubjectsAsync(string collectionId, string? pageToken = null, int pageSize = 50, string? filter = null,
        CancellationToken cancellationToken = default) =>
        SendAsync<SubjectPage>(HttpMethod.Get,
            $"v1/collections/{Escape(collectionId)}/subjects?pageSize={pageSize.ToString(CultureInfo.InvariantCulture)}" +
            (pageToken is null ? string.Empty : "&pageToken=" + Uri.EscapeDataString(pageToken)) +
            (filter is null ? string.Empty : "&filter=" + Uri.EscapeDataString(filter)), null, cancellationToken);

    /// <summary>
    /// Enrols the face of a photo for a subject. <paramref name="idempotencyKey"/> makes a repeated enrolment a
    /// no-op; <paramref name="largestFace"/> takes the largest face of a photo that shows several instead of refusing it.
    /// </summary>
    public Task<EnrollView> EnrollAsync(string collectionId, string subjectId, ReadOnlyMemory<byte> photo, string? idempotencyKey = null,
        bool largestFace = false, CancellationToken cancellationToken = default) =>
        SendAsync<EnrollView>(HttpMethod.Post, $"v1/collections/{Escape(collectionId)}/subjects/{Escape(subjectId)}/faces",
            () => Form(("image", photo), largestFace ? [("face", "largest")] : []), cancellationToken,
            idempotencyKey is null ? null : request => request.Headers.Add("Idempotency-Key", idempotencyKey));

    /// <summary>Searches a collection with every face of a photo; <paramref name="topK"/> null = the platform's default.</summary>
    public Task<SearchView> SearchAsync(string collectionId, ReadOnlyMemory<byte> photo, int? topK = null, float? threshold = null,
        CancellationToken cancellationToken = default) =>
        SendAsync<SearchView>(HttpMethod.Post, $"v1/collections/{Escape(collectionId)}/search",
            () => Form(("image", photo), [
                .. topK is { } k ? [("topK", k.ToString(CultureInfo.InvariantCulture))] : Array.Empty<(string, string)>(),
                .. threshold is { } t ? [("threshold", t.ToString(CultureInfo.InvariantCulture))] : Array.Empty<(string, string)>(),
            ]), cancellationToken);

    /// <summary>Same person or not: the largest face of each photo.</summary>
    public Task<VerifyView> VerifyAsync(ReadOnlyMemory<byte> photo1, ReadOnlyMemory<byte> photo2, CancellationToken cancellationToken = default) =>
        SendAsync<VerifyView>(HttpMethod.Post, "v1/verify", () => Form([("image1", photo1), ("image2", photo2)], []), cancellationToken);

    /// <summary>Same person or not: the largest face of a photo against an enrolled subject.</summary>
    public Task<VerifyView> VerifySubjectAsync(ReadOnlyMemory<byte> photo, string collectionId, string subjectId,
        CancellationToken cancellationToken = default) =>
        SendAsync<VerifyView>(HttpMethod.Post, "v1/verify",
            () => Form(("image1", photo), [("collection", collectionId), ("subjectId", subjectId)]), cancellationToken);

    /// <summary>Every face of a photo with its attributes, and its matches when <paramref name="collectionId"/> is given.</summary>
    public Task<AnalyzeView> AnalyzeAsync(ReadOnlyMemory<byte> photo, string? collectionId = null, CancellationToken cancellationToken = default) =>
        SendAsync<AnalyzeView>(HttpMethod.Post, "v1/analyze",
            () => Form(("image", photo), collectionId is null ? [] : [("collection", collectionId)]), cancellationToken);

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, Func<HttpContent>? content, CancellationToken cancellationToken,
        Action<HttpRequestMessage>? decorate = null)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_timeout);
        try
        {
            // A request message can be sent once: every attempt builds its own.
            using var response = await _retries.ExecuteAsync(async token =>
            {
                using var request = new HttpRequestMessage(method, new Uri(_baseAddress, path)) { Content = content?.Invoke() };
                request.Headers.Add("X-Api-Key", _apiKey);
                decorate?.Invoke(request);
                return await _http.SendAsync(request, token).ConfigureAwait(false);
            }, deadline.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw await RefusalAsync(response, deadline.Token).ConfigureAwait(false);
            }

            return await response.Content.ReadFromJsonAsync<T>(Json, deadline.Token).ConfigureAwait(false)
                ?? throw new InvalidDataException($"{method} {path} answered an empty body");
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{method} {path} got no answer within {_timeout.TotalSeconds:0.#} s");
        }
    }

    private static async Task<FacePlatformApiException> RefusalAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var title = response.ReasonPhrase ?? response.StatusCode.ToString();
        string? detail = null;
        try
        {
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Json, cancellationToken).ConfigureAwait(false);
            if (problem.ValueKind == JsonValueKind.Object)
            {
                title = problem.TryGetProperty("title", out var t) && t.GetString() is { } text ? text : title;
                detail = problem.TryGetProperty("detail", out var d) ? d.GetString() : null;
            }
        }
        catch (JsonException)
        {
            // Not problem details (a proxy's page, say): the status line is all there is.
        }

        return new FacePlatformApiException(response.StatusCode, title, detail, RetryAfter(response));
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow,
        _ => null,
    };

    private static RetryStrategyOptions<HttpResponseMessage> RetryOnUnavailable(FacePlatformClientOptions options) => new()
    {
        MaxRetryAttempts = options.MaxAttempts - 1,
        BackoffType = DelayBackoffType.Exponential,
        UseJitter = true,
        Delay = options.InitialBackoff,
        MaxDelay = TimeSpan.FromSeconds(5),
        // Only where nothing was done: a 503, or a connection that was never made. A reset after the request was
        // sent is not retried, since the platform may have acted on it.
        ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
        {
            { Result.StatusCode: HttpStatusCode.ServiceUnavailable } => true,
            { Exception: HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError } } => true,
            _ => false,
        }),
        DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result is { } answer && RetryAfter(answer) is { } wait && wait > TimeSpan.Zero
            ? (TimeSpan?)TimeSpan.FromTicks(Math.Min(wait.Ticks, TimeSpan.FromSeconds(5).Ticks))
            : null),
        OnRetry = args =>
        {
            args.Outcome.Result?.Dispose();
            return ValueTask.CompletedTask;
        },
    };

    private static MultipartFormDataContent Form((string Name, ReadOnlyMemory<byte> Bytes) photo, (string Name, string Value)[] fields) =>
        Form([photo], fields);

    private static MultipartFormDataContent Form((string Name, ReadOnlyMemory<byte> Bytes)[] photos, (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, bytes) in photos)
        {
            var file = new ReadOnlyMemoryContent(bytes);
            file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(file, name, name);
        }

        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }

        return form;
    }

    private static string Escape(string segment) => Uri.EscapeDataString(segment);
}
