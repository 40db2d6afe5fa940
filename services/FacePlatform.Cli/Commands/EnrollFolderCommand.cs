using System.CommandLine;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using FacePlatform.Client;
using Spectre.Console;

namespace FacePlatform.Cli.Commands;

/// <summary>
/// <c>facectl enroll-folder ROOT --collection C</c>: bulk import of a tree of people (<c>ROOT/&lt;name&gt;/*.jpg</c>, one
/// subject per folder, the folder name its external id) into a running platform. Resumable through a state file,
/// with a progress bar and a per-file report of what was not enrolled and why.
/// </summary>
internal static class EnrollFolderCommand
{
    private static readonly HashSet<string> PhotoExtensions = new(StringComparer.OrdinalIgnoreCase) { ".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif" };

    // A bulk import is the burst the per-key rate limit exists for: a 429 waits the answer's Retry-After and sends again.
    private const int RateLimitedAttempts = 20;

    public static Command Create()
    {
        var platform = new PlatformConnection();
        var root = new Argument<DirectoryInfo>("ROOT") { Description = "Folder with one sub-folder of photos per person (the folder name is the person's external id)" };
        var collection = new Option<string>("--collection") { Description = "Id or name of the collection; a name that does not exist yet is created", Required = true };
        var state = new Option<string?>("--state") { Description = "State file (JSON lines) recording every photo enrolled or refused, so a rerun skips them (default: <collection>.enroll-state.jsonl)" };
        var report = new Option<string?>("--report") { Description = "Per-file report of photos not enrolled: .csv or .json (default: <collection>.enroll-report.csv)" };
        var parallel = new Option<int>("--parallel") { Description = "Photos sent at once", DefaultValueFactory = _ => 4 };
        var largest = new Option<bool>("--largest-face") { Description = "Take the largest face of a photo that shows several, instead of refusing it" };
        var model = new Option<string?>("--model")
        {
            Description = "Recogniser of the collection this creates (default: the platform's); re-enrolment into a new model is this folder enrolled into a new collection with --model",
        };
        var dimension = new Option<int?>("--dimension") { Description = "Length of --model's vectors (required with a model other than the platform's default)" };
        var command = platform.AddTo(new Command("enroll-folder", "Enrol a folder tree of people (ROOT/<name>/*.jpg) into a collection, resumably") { root, collection, state, report, parallel, largest, model, dimension });
        command.SetAction((parse, token) => platform.RunAsync(parse, client =>
        {
            var collectionName = parse.GetRequiredValue(collection);
            var safeName = string.Concat(collectionName.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
            return RunAsync(client, new Settings(
                parse.GetRequiredValue(root), collectionName,
                parse.GetValue(state) ?? $"{safeName}.enroll-state.jsonl",
                parse.GetValue(report) ?? $"{safeName}.enroll-report.csv",
                Math.Max(1, parse.GetValue(parallel)), parse.GetValue(largest), parse.GetValue(model), parse.GetValue(dimension)), token);
        }));
        return command;
    }

    private sealed record Settings(DirectoryInfo Root, string Collection, string StatePath, string ReportPath, int Parallel, bool LargestFace, string? Model, int? Dimension);

    private sealed record Photo(string File, string FullPath, string Person);

    private static async Task<int> RunAsync(FacePlatformRestClient client, Settings settings, CancellationToken token)
    {
        if (!settings.Root.Exists)
        {
            Console.Error.WriteLine($"[enroll-folder] {settings.Root.FullName} does not exist");
            return 2;
        }

        var photos = Scan(settings.Root);
        var collection = await CollectionsCommand.FindAsync(client, settings.Collection, token)
            ?? await client.CreateCollectionAsync(settings.Collection, $"enrolled from {settings.Root.Name} by facectl", settings.Model, settings.Dimension, token);
        // A collection keeps the recogniser it was created with (vectors of different models never mix): asking for
        // another model names a new collection, never a conversion of this one.
        if (!string.IsNullOrEmpty(settings.Model) && !string.Equals(collection.ModelId, settings.Model, StringComparison.Ordinal))
        {
            Console.Error.WriteLine($"[enroll-folder] collection {collection.Name} ({collection.Id}) embeds with {collection.ModelId}, not {settings.Model}; " +
                "a collection keeps its recogniser: enrol into a new collection name with --model to move to another model");
            return 2;
        }

        using var state = EnrollmentState.Open(settings.StatePath);
        var done = state.Records.Where(r => r.CollectionId == collection.Id)
            .GroupBy(r => (r.File, r.Sha256)).ToDictionary(g => g.Key, g => g.Last());
        var subjects = state.Records.Where(r => r.CollectionId == collection.Id)
            .GroupBy(r => r.Person).ToDictionary(g => g.Key, g => g.Last().SubjectId);
        Console.WriteLine($"{photos.Count} photos of {photos.Select(p => p.Person).Distinct().Count()} people in {settings.Root.FullName} -> collection {collection.Name} ({collection.Id})");

        var problems = new List<EnrollmentProblem>();
        var counts = new Counts();
        var fatal = (FacePlatformApiException?)null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);

        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async progress =>
            {
                var bar = progress.AddTask("enrolling", maxValue: Math.Max(1, photos.Count));
                await Parallel.ForEachAsync(photos, new ParallelOptions { MaxDegreeOfParallelism = settings.Parallel, CancellationToken = stop.Token }, async (photo, ct) =>
                {
                    try
                    {
                        var bytes = await File.ReadAllBytesAsync(photo.FullPath, ct);
                        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
                        if (done.TryGetValue((photo.File, sha), out var earlier))
                        {
                            Interlocked.Increment(ref counts.Skipped);
                            if (earlier.Outcome == EnrollmentRecord.Refused)
                            {
                                Add(problems, new EnrollmentProblem(photo.File, photo.Person, EnrollmentRecord.Refused, earlier.Status, earlier.Reason ?? "refused", earlier.Detail ?? string.Empty));
                            }

                            return;
                        }

                        var subjectId = await SubjectAsync(client, collection.Id, photo.Person, subjects, ct);
                        await EnrollAsync(client, collection.Id, subjectId, photo, bytes, sha, settings.LargestFace, state, problems, counts, ct);
                    }
                    catch (FacePlatformApiException refused) when (refused.Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound)
                    {
                        // The key or the collection is gone: every further photo would fail the same way.
                        fatal ??= refused;
                        await stop.CancelAsync();
                    }
                    catch (Exception failed) when (failed is FacePlatformApiException or HttpRequestException or TimeoutException or IOException)
                    {
                        Interlocked.Increment(ref counts.Failed);
                        Add(problems, new EnrollmentProblem(photo.File, photo.Person, "failed", (failed as FacePlatformApiException)?.Status is { } s ? (int)s : null,
                            "failed", failed.Message));
                    }
                    finally
                    {
                        bar.Increment(1);
                    }
                }).ConfigureAwait(false);
            }).ConfigureAwait(false);

        problems.Sort((a, b) => string.CompareOrdinal(a.File, b.File));
        EnrollmentReport.Write(settings.ReportPath, problems);
        Console.WriteLine($"enrolled {counts.Enrolled}, already enrolled {counts.Duplicates}, skipped {counts.Skipped} (done before), " +
            $"refused {counts.Refused}, failed {counts.Failed}; report: {Path.GetFullPath(settings.ReportPath)}, state: {Path.GetFullPath(settings.StatePath)}");
        if (fatal is not null)
        {
            Console.Error.WriteLine($"[enroll-folder] stopped: {fatal.Message}");
            return 1;
        }

        return counts.Failed > 0 ? 1 : 0;
    }

    private static List<Photo> Scan(DirectoryInfo root)
    {
        var photos = new List<Photo>();
        foreach (var person in root.EnumerateDirectories().OrderBy(d => d.Name, StringComparer.Ordinal))
        {
            foreach (var file in person.EnumerateFiles().Where(f => PhotoExtensions.Contains(f.Extension)).OrderBy(f => f.Name, StringComparer.Ordinal))
            {
                photos.Add(new Photo($"{person.Name}/{file.Name}", file.FullName, person.Name));
            }
        }

        return photos;
    }

    private static async Task<string> SubjectAsync(FacePlatformRestClient client, string collectionId, string person,
        Dictionary<string, string> subjects, CancellationToken token)
    {
        lock (subjects)
        {
            if (subjects.TryGetValue(person, out var known))
            {
                return known;
            }
        }

        string id;
        try
        {
            id = (await client.CreateSubjectAsync(collectionId, person, person, token)).Id;
        }
        catch (FacePlatformApiException exists) when (exists.Status == HttpStatusCode.Conflict)
        {
            // Made by an earlier run whose state file is lost, or by a photo of the same person in flight beside this one.
            var page = await client.ListSubjectsAsync(collectionId, pageSize: 500, filter: person, cancellationToken: token);
            id = page.Subjects.First(s => s.ExternalId == person).Id;
        }

        lock (subjects)
        {
            subjects[person] = id;
        }

        return id;
    }

    private static async Task EnrollAsync(FacePlatformRestClient client, string collectionId, string subjectId, Photo photo, byte[] bytes, string sha,
        bool largestFace, EnrollmentState state, List<EnrollmentProblem> problems, Counts counts, CancellationToken token)
    {
        // The same photo for the same subject is one request to the platform however often it is sent.
        var idempotencyKey = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{subjectId}/{sha}")));
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var enrolled = await client.EnrollAsync(collectionId, subjectId, bytes, idempotencyKey, largestFace, token);
                var duplicate = enrolled.Faces.Count == 0 && enrolled.Duplicates > 0;
                Interlocked.Increment(ref duplicate ? ref counts.Duplicates : ref counts.Enrolled);
                state.Add(new EnrollmentRecord(collectionId, photo.File, sha, photo.Person, subjectId,
                    duplicate ? EnrollmentRecord.Duplicate : EnrollmentRecord.Enrolled, enrolled.Faces.Count > 0 ? enrolled.Faces[0].Id : null));
                return;
            }
            catch (FacePlatformApiException limited) when (limited.Status == HttpStatusCode.TooManyRequests && attempt < RateLimitedAttempts)
            {
                await Task.Delay(limited.RetryAfter is { } wait && wait > TimeSpan.Zero ? wait : TimeSpan.FromSeconds(1), token);
            }
            catch (FacePlatformApiException refused) when ((int)refused.Status is >= 400 and < 500
                and not (401 or 403 or 404 or 408 or 409 or 429))
            {
                var detail = refused.Detail ?? refused.Title;
                var reason = EnrollmentReport.Classify((int)refused.Status, detail);
                Interlocked.Increment(ref counts.Refused);
                state.Add(new EnrollmentRecord(collectionId, photo.File, sha, photo.Person, subjectId, EnrollmentRecord.Refused,
                    Status: (int)refused.Status, Reason: reason, Detail: detail));
                Add(problems, new EnrollmentProblem(photo.File, photo.Person, EnrollmentRecord.Refused, (int)refused.Status, reason, detail));
                return;
            }
        }
    }

    private static void Add(List<EnrollmentProblem> problems, EnrollmentProblem problem)
    {
        lock (problems)
        {
            problems.Add(problem);
        }
    }

    private sealed class Counts
    {
        public int Enrolled;
        public int Duplicates;
        public int Skipped;
        public int Refused;
        public int Failed;
    }
}
