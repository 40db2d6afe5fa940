using System.Collections.Concurrent;
using System.Diagnostics;
using FacePlatform.Identity.Storage;
using FacePlatform.Identity.Telemetry;
using Microsoft.Extensions.Options;

namespace FacePlatform.Identity.Search;

/// <summary>Whether collections' partitions have a code index, and building one where a collection needs it.</summary>
internal interface ICodeIndexes
{
    /// <summary>Whether the collection's partition has a valid code index (remembered for a while: it changes rarely).</summary>
    Task<bool> HasIndexAsync(CollectionInfo collection, ReadTarget target, CancellationToken cancellationToken);

    /// <summary>Starts building the collection's code index in the background, unless this instance already is.</summary>
    void BuildInBackground(CollectionInfo collection);
}

/// <summary>
/// The code indexes of collections over the scan budget. A large collection without one is searched by a sort of its
/// partition until the build ends (<see cref="SearchPlanner"/>), so the build starts at its first such search and runs
/// on the primary with <c>CREATE INDEX CONCURRENTLY</c>: enrolment goes on meanwhile. Its parameters are
/// <c>Identity:HnswM</c> / <c>HnswEfConstruction</c>, or the measured 32 / 128 when new collections get no index.
/// </summary>
internal sealed partial class CodeIndexes(
    GalleryStore primary, IOptions<IdentityOptions> options, IdentityTelemetry telemetry, ILogger<CodeIndexes> logger) : ICodeIndexes
{
    /// <summary>HNSW m of indexes built here when <c>Identity:HnswM</c> is 0: recall@1 0.990 at 100k with ef_search 200 (docs/benchmarks.md).</summary>
    public const int DefaultM = 32;

    /// <summary>How long a "no index" answer is trusted before the catalogue is asked again.</summary>
    private static readonly TimeSpan RecheckAfter = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<Guid, (bool Present, long CheckedAt)> _known = new();
    private readonly ConcurrentDictionary<Guid, Task> _builds = new();

    public async Task<bool> HasIndexAsync(CollectionInfo collection, ReadTarget target, CancellationToken cancellationToken)
    {
        if (_known.TryGetValue(collection.Id, out var known)
            && (known.Present || Stopwatch.GetElapsedTime(known.CheckedAt) < RecheckAfter))
        {
            return known.Present;
        }

        var present = await target.Store.HasCodeIndexAsync(collection.Id, cancellationToken);
        _known[collection.Id] = (present, Stopwatch.GetTimestamp());
        return present;
    }

    public void BuildInBackground(CollectionInfo collection)
    {
        if (_builds.TryGetValue(collection.Id, out var running) && !running.IsCompleted)
        {
            return;
        }

        var build = new TaskCompletionSource();
        if (!_builds.TryAdd(collection.Id, build.Task) && !_builds.TryUpdate(collection.Id, build.Task, running!))
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            var settings = options.Value;
            var m = settings.HnswM > 0 ? settings.HnswM : DefaultM;
            var clock = Stopwatch.StartNew();
            LogBuilding(logger, collection.Id, collection.FaceCount, m);
            try
            {
                await primary.BuildCodeIndexAsync(collection.Id, collection.CodeBits, m, Math.Max(settings.HnswEfConstruction, 2 * m), CancellationToken.None);
                _known[collection.Id] = (true, Stopwatch.GetTimestamp());
                telemetry.CodeIndexBuilt("built", clock.Elapsed);
                LogBuilt(logger, collection.Id, clock.ElapsedMilliseconds);
            }
            catch (Exception error)
            {
                telemetry.CodeIndexBuilt("failed", clock.Elapsed);
                LogBuildFailed(logger, error, collection.Id);
            }
            finally
            {
                build.SetResult();
            }
        });
    }

    /// <summary>Forgets what is known of a deleted collection.</summary>
    public void Forget(Guid collection) => _known.TryRemove(collection, out _);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Collection {Collection} ({Faces} faces) does not fit the scan budget and has no code index: building one (m {M}); its searches sort the partition until it is ready")]
    private static partial void LogBuilding(ILogger logger, Guid collection, long faces, int m);

    [LoggerMessage(Level = LogLevel.Information, Message = "Built the code index of collection {Collection} in {Milliseconds} ms")]
    private static partial void LogBuilt(ILogger logger, Guid collection, long milliseconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Building the code index of collection {Collection} failed; a later search starts it again")]
    private static partial void LogBuildFailed(ILogger logger, Exception error, Guid collection);
}
