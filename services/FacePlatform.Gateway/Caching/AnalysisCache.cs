using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text;
using FacePlatform.Contracts.Face.V1;
using FacePlatform.Contracts.V1;
using FacePlatform.Gateway.Faces;
using FacePlatform.ServiceDefaults.Caching;
using Google.Protobuf;
using StackExchange.Redis;

namespace FacePlatform.Gateway.Caching;

/// <summary>Where one analysis answer lives in Redis; <see cref="Field"/> is set when a collection was searched.</summary>
internal sealed record AnalysisCacheKey(RedisKey Key, RedisValue Field, RedisKey VersionKey, long Version);

/// <summary>
/// Hot analyse answers in Redis, keyed by image SHA-256, the model set that made the answer and the options. An
/// answer without a search lives under its tenant's prefix (<see cref="CacheKeys.TenantAnalysis"/>); an answer that
/// searched a collection is a field of the collection's analyses hash (<see cref="CacheKeys.CollectionAnalyses"/>),
/// which identity deletes with every change of the collection — so a deleted subject's name leaves Redis with the
/// commit, not at expiry — and it is stored only if identity has not seen a newer version of the collection (a Lua
/// script compares atomically, so an answer computed before a delete is not written after it). A tenant's deletion
/// removes both kinds. Redis is a cache: when it fails the call goes on without it and the bypass is counted.
/// </summary>
internal sealed partial class AnalysisCache(IConnectionMultiplexer redis, GatewayTelemetry telemetry, IConfiguration configuration, ILogger<AnalysisCache> logger)
{
    // Mirrors identity's store script (GalleryCache): an answer of an older collection version than Redis knows is
    // dropped. The hash's expiry is renewed by each write; every change of the collection deletes it.
    private static readonly LuaScript StoreSearchedScript = LuaScript.Prepare("""
        local known = tonumber(redis.call('GET', @versionKey) or '0')
        if known > tonumber(@version) then return 0 end
        redis.call('HSET', @key, @field, @value)
        redis.call('EXPIRE', @key, @seconds)
        return 1
        """);

    private readonly TimeSpan _ttl = TimeSpan.FromSeconds(configuration.GetValue("Cache:AnalysisSeconds", 600));

    // The model ids of the last answer. Answers are cached under the model set that made them, so new models (a new
    // deployment of embedding or attributes) never serve old answers.
    private volatile string? _modelSet;

    public AnalysisCacheKey? KeyFor(string tenantId, byte[] image, AnalyzeOptions options, Collection? collection)
    {
        if (_modelSet is not { } modelSet || _ttl <= TimeSpan.Zero)
        {
            return null;
        }

        var parts = new StringBuilder()
            .Append(modelSet).Append('|')
            .Append(string.Join(',', options.Include.Order(StringComparer.Ordinal))).Append('|')
            .Append(options.MaxFaces).Append('|').Append(options.MinFaceSize).Append('|')
            .Append(string.Join(',', options.Attributes.Order(StringComparer.Ordinal))).Append('|')
            .Append(options.Profile ?? "-").Append('|')
            .Append(collection is null ? "-" : $"{collection.Id}@{collection.Version}");
        var optionsHash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(parts.ToString())))[..16];
        var imageAndOptions = $"{Convert.ToHexStringLower(SHA256.HashData(image))}:{optionsHash}";
        if (collection is null)
        {
            return new AnalysisCacheKey(CacheKeys.TenantAnalysis(Guid.Parse(tenantId), imageAndOptions), RedisValue.Null, default, 0);
        }

        var collectionId = Guid.Parse(collection.Id);
        return new AnalysisCacheKey(CacheKeys.CollectionAnalyses(collectionId), imageAndOptions,
            CacheKeys.CollectionVersion(collectionId), collection.Version);
    }

    public async Task<AnalyzeResponse?> TryGetAsync(AnalysisCacheKey? key)
    {
        if (key is null)
        {
            return null;
        }

        try
        {
            var database = redis.GetDatabase();
            var value = key.Field.IsNull
                ? await database.StringGetAsync(key.Key)
                : await database.HashGetAsync(key.Key, key.Field);
            telemetry.CacheRequest(value.HasValue ? "hit" : "miss");
            return value.HasValue ? AnalyzeResponse.Parser.ParseFrom((byte[])value!) : null;
        }
        catch (Exception exception) when (IsRedisFailure(exception))
        {
            Bypass(exception);
            return null;
        }
    }

    public async Task SetAsync(AnalysisCacheKey? key, AnalyzeResponse response, IEnumerable<string> modelIds)
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
            var database = redis.GetDatabase();
            if (key.Field.IsNull)
            {
                await database.StringSetAsync(key.Key, response.ToByteArray(), _ttl, flags: CommandFlags.FireAndForget);
                return;
            }

            await StoreSearchedScript.EvaluateAsync(database, new
            {
                key = key.Key,
                versionKey = key.VersionKey,
                version = key.Version,
                field = key.Field,
                value = response.ToByteArray(),
                seconds = (long)_ttl.TotalSeconds,
            }, flags: CommandFlags.FireAndForget);
        }
        catch (Exception exception) when (IsRedisFailure(exception))
        {
            Bypass(exception);
        }
    }

    // A timeout is no RedisException (RedisTimeoutException is a TimeoutException): on a machine at load 80 a 500-ms
    // timeout of the cache look-up made an analyse answer 500 instead of answering without the cache.
    private static bool IsRedisFailure(Exception exception) => exception is RedisException or RedisTimeoutException;

    private void Bypass(Exception exception)
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
            description: "Analysis cache look-ups (faceplatform.cache.kind=analysis) by faceplatform.cache.result: hit, miss, or bypass (Redis unavailable)");
        _facesPerPhoto = _meter.CreateHistogram<int>("faceplatform.faces.per_photo", unit: "{face}",
            description: "Faces found per analysed photo",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [0, 1, 2, 3, 5, 8, 13, 21, 50, 100] });
    }

    // The same keys as identity's cache counter (faceplatform.cache.kind/result), so one panel reads both services.
    public void CacheRequest(string result) => _cacheRequests.Add(1,
        new KeyValuePair<string, object?>("faceplatform.cache.kind", "analysis"), new KeyValuePair<string, object?>("faceplatform.cache.result", result));

    public void FacesPerPhoto(int faces) => _facesPerPhoto.Record(faces);

    public void Dispose() => _meter.Dispose();
}
