using System.Diagnostics;
using FacePlatform.Identity.Storage;
using Microsoft.Extensions.Options;

namespace FacePlatform.Identity.Search;

/// <summary>
/// Reads collections' codes into memory once the database is ready (<c>Identity:ScanWarmup</c>), largest first while
/// they fit the scan budget, so that searches after a restart or a scale-out find them there. Searches do not wait for
/// it: one that comes first shares the read in progress (<see cref="CodeScans"/>). A failure is logged and ends the
/// warm-up; searches then read what they need themselves.
/// </summary>
internal sealed partial class CodeScanWarmup(
    DatabaseInitializer database, GalleryStore store, CodeScans scans, IOptions<IdentityOptions> options, ILogger<CodeScanWarmup> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.ScanWarmup || settings.ScanMemoryMegabytes == 0 || settings.MigrateOnly)
        {
            return;
        }

        try
        {
            await database.Ready.WaitAsync(stoppingToken);
            var clock = Stopwatch.StartNew();
            var (collections, faces) = (0, 0L);
            foreach (var collection in await store.ListCollectionsWithFacesAsync(stoppingToken))
            {
                if (await scans.WarmAsync(collection, store, stoppingToken))
                {
                    collections++;
                    faces += collection.FaceCount;
                }
            }

            LogWarmed(logger, collections, faces, clock.ElapsedMilliseconds);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        catch (Exception error)
        {
            LogFailed(logger, error);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Read the codes of {Collections} collections ({Faces} faces) into memory in {Milliseconds} ms")]
    private static partial void LogWarmed(ILogger logger, int collections, long faces, long milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading collections' codes at start failed; searches read them when they need them")]
    private static partial void LogFailed(ILogger logger, Exception error);
}
