using System.Security.Cryptography;
using System.Text;
using FacePlatform.Training.Datasets;
using FacePlatform.Training.Heads;
using FacePlatform.Vision.Imaging;
using FacePlatform.Vision.Pipeline;
using FacePlatform.Vision.Recognition;

namespace FacePlatform.Training.Features;

/// <summary>
/// The frozen backbone's features of each photo, computed the way the embedding service computes them (decode, detect,
/// the largest face, the recogniser's crop, its L2-normalised embedding) and cached on disk, one small file per photo,
/// keyed by the photo's path, size and modification time and by the recogniser's SHA-256 and crop settings: a second
/// run, or another choice of heads, reads them back instead of running the models. Photos that cannot be decoded or
/// hold no face are cached as such too, and counted in the report.
/// </summary>
public sealed class FeatureExtractor(FaceAnalyzer analyzer, string backboneSha256, string cacheDirectory)
{
    private const byte Ok = 0;
    private const byte Unreadable = 1;
    private const byte NoFace = 2;
    private int _hits;
    private int _computed;

    /// <summary>The recogniser whose embeddings are the features.</summary>
    public string BackboneId => analyzer.Recogniser.ModelId;

    /// <summary>Its file's SHA-256.</summary>
    public string BackboneSha256 => backboneSha256;

    /// <summary>Photos read from the cache so far.</summary>
    public int CacheHits => _hits;

    /// <summary>Photos run through the models so far.</summary>
    public int Computed => _computed;

    /// <summary>The folder of this backbone's cache files.</summary>
    public string Folder => Path.Combine(cacheDirectory, backboneSha256[..16]);

    /// <summary>
    /// Features of every item (in order; skipped ones left out and reported). <paramref name="validation"/> says which
    /// items belong to the validation split.
    /// </summary>
    public async Task<List<FaceSample>> ExtractAsync(
        IReadOnlyList<DatasetItem> items, Func<DatasetItem, bool> validation, DatasetReport report, int parallel,
        Action<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(report);
        Directory.CreateDirectory(Folder);
        var results = new FaceSample?[items.Count];
        var done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, items.Count), new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallel), CancellationToken = cancellationToken }, async (i, ct) =>
        {
            var item = items[i];
            var (status, features, ageGender) = await GetAsync(item.Path, ct);
            switch (status)
            {
                case Unreadable:
                    report.Skip(SkipReasons.UnreadableImage, item.Key);
                    break;
                case NoFace:
                    report.Skip(SkipReasons.NoFace, item.Key);
                    break;
                default:
                    results[i] = new FaceSample(item.Path, features!, item.Labels, validation(item), ageGender?.Age, ageGender?.MaleProbability);
                    break;
            }

            progress?.Invoke(Interlocked.Increment(ref done));
        });
        return [.. results.Where(r => r is not null).Select(r => r!)];
    }

    private async Task<(byte Status, float[]? Features, AgeGender? AgeGender)> GetAsync(string path, CancellationToken cancellationToken)
    {
        FileInfo file;
        try
        {
            file = new FileInfo(path);
            _ = file.Length;
        }
        catch (IOException)
        {
            return (Unreadable, null, null);
        }

        var recogniser = analyzer.Recogniser;
        var key = $"{file.FullName}|{file.Length}|{file.LastWriteTimeUtc.Ticks}|{backboneSha256}|{recogniser.Template}|{recogniser.Mode}|{string.Join(",", analyzer.Detector.ModelIds)}";
        var cached = Path.Combine(Folder, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..32] + ".bin");
        if (TryRead(cached) is { } hit)
        {
            Interlocked.Increment(ref _hits);
            return hit;
        }

        var computed = await ComputeAsync(path, cancellationToken);
        Interlocked.Increment(ref _computed);
        Write(cached, computed);
        return computed;
    }

    private async Task<(byte, float[]?, AgeGender?)> ComputeAsync(string path, CancellationToken cancellationToken)
    {
        RgbImage image;
        try
        {
            image = ImageDecoder.Decode(await File.ReadAllBytesAsync(path, cancellationToken), analyzer.Limits);
        }
        catch (Exception ex) when (ex is ImageRejectedException or IOException or UnauthorizedAccessException)
        {
            return (Unreadable, null, null);
        }

        using (image)
        {
            // The largest face, as the services answer a single-face photo.
            var faces = await analyzer.Detector.DetectAsync(image, 1, 0, cancellationToken);
            if (faces.Count == 0)
            {
                return (NoFace, null, null);
            }

            using var crop = analyzer.Recogniser.Align(image, faces[0]);
            var recognition = (await analyzer.Recogniser.EmbedAsync([crop], cancellationToken))[0];
            return (Ok, recognition.Embedding.Vector.ToArray(), recognition.AgeGender);
        }
    }

    private static (byte, float[]?, AgeGender?)? TryRead(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            using var reader = new BinaryReader(File.OpenRead(path));
            var status = reader.ReadByte();
            if (status != Ok)
            {
                return (status, null, null);
            }

            var features = new float[reader.ReadInt32()];
            reader.Read(System.Runtime.InteropServices.MemoryMarshal.AsBytes(features.AsSpan()));
            AgeGender? ageGender = reader.ReadBoolean() ? new AgeGender(reader.ReadSingle(), reader.ReadSingle()) : null;
            return (status, features, ageGender);
        }
        catch (Exception ex) when (ex is IOException or EndOfStreamException)
        {
            // A cache file cut short (an interrupted run) is computed again.
            return null;
        }
    }

    private static void Write(string path, (byte Status, float[]? Features, AgeGender? AgeGender) entry)
    {
        var temporary = path + "." + Environment.ProcessId + "." + Environment.CurrentManagedThreadId + ".tmp";
        using (var writer = new BinaryWriter(File.Create(temporary)))
        {
            writer.Write(entry.Status);
            if (entry.Status == Ok)
            {
                writer.Write(entry.Features!.Length);
                writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(entry.Features.AsSpan()));
                writer.Write(entry.AgeGender is not null);
                if (entry.AgeGender is { } ag)
                {
                    writer.Write(ag.Age);
                    writer.Write(ag.MaleProbability);
                }
            }
        }

        File.Move(temporary, path, overwrite: true);
    }
}
