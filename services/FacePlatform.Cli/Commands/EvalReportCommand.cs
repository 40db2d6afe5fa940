using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using FacePlatform.Cli.Reports;

namespace FacePlatform.Cli.Commands;

/// <summary>
/// <c>facectl eval report DATA... --out DIR</c>: runs <c>eval verify</c>, <c>eval detect</c> and <c>eval attributes</c>
/// on the same photos with one pipeline and writes <c>report.html</c> (figures and miss thumbnails, self-contained)
/// and <c>report.json</c> (the same numbers, curves and points, for scripts).
/// </summary>
internal static class EvalReportCommand
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static Command Create()
    {
        var data = new Argument<string[]>("DATA")
        {
            Description = "Data set folders with manifest.json (or a folder of them, e.g. ../shared/data/faces)",
            Arity = ArgumentArity.OneOrMore,
        };
        var output = new Option<string>("--out") { Description = "Folder to write report.html and report.json to", DefaultValueFactory = _ => "report" };
        var limit = new Option<int?>("--limit") { Description = "At most this many photos per data set, evenly spaced over its manifest (default: all)" };
        var thumbnails = new Option<int>("--max-thumbnails") { Description = "Detection misses shown as thumbnails (report.json lists all)", DefaultValueFactory = _ => 200 };
        var command = new Command("report", "HTML report (ROC/DET, age scatter and MAE by band, gender confusion, detection misses) and report.json")
        {
            data, output, limit, thumbnails,
        };
        InProcessPipeline.AddTo(command);
        command.Validators.Add(result =>
        {
            if (result.GetValue(limit) is < 1)
            {
                result.AddError("--limit must be at least 1");
            }
        });
        command.SetAction((parse, token) => RunAsync(parse, parse.GetRequiredValue(data), parse.GetRequiredValue(output), parse.GetValue(limit), parse.GetValue(thumbnails), token));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, string[] data, string output, int? limit, int maxThumbnails, CancellationToken token)
    {
        var photos = LabelledPhoto.Load(data);
        if (limit is { } n)
        {
            photos = Sample(photos, n);
        }

        await using var pipeline = InProcessPipeline.Create(parse);
        var verificationPhotos = EvalRuns.VerificationPhotos(photos);
        Console.WriteLine($"verification: {verificationPhotos.Count} photos");
        var verification = await EvalRuns.VerifyAsync(parse, pipeline, verificationPhotos, EvalRuns.IdentityPairs(verificationPhotos), humanCrop: false, token);
        var detectionPhotos = EvalRuns.DetectionPhotos(photos);
        Console.WriteLine($"detection: {detectionPhotos.Count} photos");
        var detection = await EvalRuns.DetectAsync(pipeline, detectionPhotos, null, token);
        var attributePhotos = EvalRuns.AttributePhotos(photos);
        Console.WriteLine($"attributes: {attributePhotos.Count} photos");
        var attributes = await EvalRuns.AttributesAsync(pipeline, attributePhotos, null, token);

        var report = EvalReport.From(data, limit, verification, detection, attributes);
        Directory.CreateDirectory(output);
        var html = Path.Combine(output, "report.html");
        var json = Path.Combine(output, "report.json");
        await File.WriteAllTextAsync(json, JsonSerializer.Serialize(report, Json), token);
        await File.WriteAllTextAsync(html, ReportHtml.Render(report, maxThumbnails), token);
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"accuracy_10fold={report.Verification.Accuracy10Fold:F4} auc={report.Verification.Auc:F4} gender_accuracy={report.Attributes.GenderAccuracy:F4} age_mae_expected={report.Attributes.AgeMae:F2} detection_misses={report.Detection.Misses.Count} seconds={report.TimingSeconds.Total:F1}"));
        if (!ReportCharts.HasFont)
        {
            Console.Error.WriteLine("warning: no font file under /usr/share/fonts (Debian: fonts-dejavu-core); the charts have no text");
        }

        Console.WriteLine($"wrote {html} and {json}");
        return 0;
    }

    /// <summary>At most <paramref name="limit"/> photos of each data set (manifest folder), evenly spaced so every part of a sorted manifest is seen.</summary>
    internal static List<LabelledPhoto> Sample(List<LabelledPhoto> photos, int limit) =>
        [.. photos.GroupBy(p => p.DataSet).SelectMany(set =>
        {
            var list = set.ToList();
            return list.Count <= limit ? list : Enumerable.Range(0, limit).Select(i => list[(int)((long)i * list.Count / limit)]);
        })];
}
