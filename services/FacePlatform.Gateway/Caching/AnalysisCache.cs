using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text;
using FacePlatform.Contracts.V1;
using FacePlatform.Gateway.Faces;
using Google.Protobuf;
using StackExchange.Redis;

namespace FacePlatform.Gateway.Caching;

/// <summary>
/// Hot analyse answers in Redis, keyed by tenant, image SHA-256, the model set that made the answer, the options, and —
/// when a collection is searched — the collection's version, which every change of the collection bumps: a deleted
/// subject can never come back from the cache. Redis is a cache: when it fails the call goes on without it and the
/// bypass is counted.
/// </summary>
internal sealed partial class AnalysisCache(IConnectionMultiplexer redis, GatewayTelemetry telemetry, IConfiguration configuration, ILogger<AnalysisCache> logger)
{
    private readonly TimeSpan _ttl = TimeSpan.FromSeconds(configuration.GetValue("Cache:AnalysisSeconds", 600));

    // The model ids of the last answer. Answers are cached under the model set that made them, so new models (a new
    // deployment of embedding or attributes) never serve old answers.
    private volatile string? _modelSet;

    public string? KeyFor(string tenantId, byte[] image, AnalyzeOptions options, Collection? collection)
    {
        if (_modelSet is not { } modelSet || _ttl <= TimeSpan.Zero)
        {
            return null;
        }

        var parts = new StringBuilder()
            .Append(modelSet).Append('|')
            .Append(string.Join(',', options.Include.Order(StringComparer.Ordinal))).Append('|')
            .Append(options.MaxFaces).Append('|').Append(options.MinFaceSize).Append('|')
            .Append(collection is null ? "-" : $"{collection.Id}@{collection.Version}");
        var optionsHash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(parts.ToString())))[..16];
        return $"fp:analyze:{tenantId}:{Convert.ToHexStringLower(SHA256.HashData(image))}:{optionsHash}";
    }

    public async Task<AnalyzeResponse?> TryGetAsync(string? key)
    {
        if (key is null)
        {
            return null;
        }

        try
        {
            var value = await redis.GetDatabase().StringGetAsync(key);
            telemetry.CacheRequest(value.HasValue ? "hit" : "miss");
            return value.HasValue ? AnalyzeResponse.Parser.ParseFrom((byte[])value!) : null;
        }
        catch (RedisException exception)
        {
            Bypass(exception);
            return null;
        }
    }

    public async Task SetAsync(string? key, AnalyzeResponse response, IEnumerable<string> modelIds)
    {
        _modelSet = string.Join(',', modelIds.Order(StringComparer.Ordinal));
        if (key is null)
        {
            return;
        }

        try
        {
            // Fire and forget: the answer does not wait for Redis; a later look-up on the same connection is queued
            // behind the write, so it finds the answer.
            await redis.GetDatabase().StringSetAsync(key, response.ToByteArray(), _ttl, flags: CommandFlags.FireAndForget);
        }
        catch (RedisException exception)
        {
            Bypass(exception);
        }
    }

    private void Bypass(RedisException exception)
    {
        telemetry.CacheRequest("bypass");
        LogBypass(logger, exception.Message);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis unavailable, answering without the cache: {Reason}")]
    private static partial void LogBypass(ILogger logger, string reason);
}

/// <summary>The gateway's own metrics (Meter <c>FacePlatform.Gateway</c>).</summary>
internal sealed class GatewayTelemetry : IDisposable
{
    public const string MeterName = "FacePlatform.Gateway";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _cacheRequests;
    private readonly Histogram<int> _facesPerPhoto;

    public GatewayTelemetry()
    {
        _cacheRequests = _meter.CreateCounter<long>("faceplatform.cache.requests", unit: "{request}",
            description: "Analysis cache look-ups by result: hit, miss, or bypass (Redis unavailable)");
        _facesPerPhoto = _meter.CreateHistogram<int>("faceplatform.faces.per_photo", unit: "{face}",
            description: "Faces found per analysed photo",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [0, 1, 2, 3, 5, 8, 13, 21, 50, 100] });
    }

    public void CacheRequest(string result) => _cacheRequests.Add(1, new KeyValuePair<string, object?>("result", result));

    public void FacesPerPhoto(int faces) => _facesPerPhoto.Record(faces);

    public void Dispose() => _meter.Dispose();
}
