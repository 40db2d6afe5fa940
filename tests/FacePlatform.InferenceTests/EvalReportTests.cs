using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FacePlatform.Testing;
using Xunit.Abstractions;

namespace FacePlatform.InferenceTests;

/// <summary>
/// <c>facectl eval report</c> (the built facectl, run as a process with the real models) on a small labelled folder the
/// test builds: the page has its sections, charts and miss thumbnails, and report.json's numbers are the ones
/// <c>eval verify</c>, <c>eval attributes</c> and <c>eval detect</c> print for the same folder.
/// </summary>
public sealed partial class EvalReportTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("faceplatform-eval-report-").FullName;

    [Fact]
    public async Task Report_has_its_sections_and_agrees_with_the_eval_commands()
    {
        var data = Path.Combine(_root, "data");
        // Three identities of three crops (leonard5.png: a face the detector has missed before, so misses likely show).
        CopySubset("face-api-js", data, f => f["file"]!.GetValue<string>() is var name
            && (name.Contains("/amy/amy", StringComparison.Ordinal) || name.Contains("/bernadette/bernadette", StringComparison.Ordinal) || name.Contains("/leonard/leonard", StringComparison.Ordinal))
            && Regex.IsMatch(name, "[135]\\.png$"));
        // Nine UTKFace chips spread over the manifest, which is sorted by age: ages from infants to the elderly.
        var chip = 0;
        CopySubset("utkface-dev", data, _ => chip++ % 300 == 0);

        // One photo at a time: batching several photos' faces would make the floats of two runs differ in the last bits.
        string[] common = ["--models", Paths.Models, "--parallel", "1"];
        var reportDirectory = Path.Combine(_root, "report");
        var report = await FacectlAsync(["eval", "report", data, "--out", reportDirectory, .. common]);
        var verify = await FacectlAsync(["eval", "verify", data, .. common]);
        var attributes = await FacectlAsync(["eval", "attributes", data, .. common]);
        var detect = await FacectlAsync(["eval", "detect", data, .. common]);
        output.WriteLine(report);

        var html = await File.ReadAllTextAsync(Path.Combine(reportDirectory, "report.html"));
        using var document = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(reportDirectory, "report.json")));
        var json = document.RootElement;

        foreach (var section in new[] { "id=\"summary\"", "id=\"verification\"", "id=\"attributes\"", "id=\"detection\"", "id=\"misses\"", "Gender confusion matrix", "By age band" })
        {
            Assert.Contains(section, html, StringComparison.Ordinal);
        }

        // Self-contained: ROC, DET, age scatter and MAE by band as PNG data URIs, nothing fetched from elsewhere.
        var charts = ChartImage().Matches(html);
        Assert.Equal(4, charts.Count);
        foreach (Match chart in charts)
        {
            var png = Convert.FromBase64String(chart.Groups[1].Value);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        }

        Assert.DoesNotContain("src=\"http", html, StringComparison.Ordinal);
        Assert.DoesNotContain("src=\"file", html, StringComparison.Ordinal);

        // Verification: the numbers eval verify prints.
        var v = json.GetProperty("verification");
        var verifyCounts = KeyValues(Line(verify, "model="));
        var verifyMetrics = KeyValues(Line(verify, "accuracy_10fold="));
        Assert.Equal(Printed(verifyCounts["photos"]), Int(v, "photos"));
        Assert.Equal(Printed(verifyCounts["no_face"]), Int(v, "no_face"));
        Assert.Equal(Printed(verifyCounts["pairs"]), Int(v, "pairs"));
        Assert.Equal(Printed(verifyCounts["genuine"]), Int(v, "genuine"));
        Assert.Equal(Printed(verifyCounts["impostor"]), Int(v, "impostor"));
        Assert.Equal(verifyMetrics["accuracy_10fold"], Number(v, "accuracy_10fold", "F4"));
        Assert.Equal(verifyMetrics["auc"], Number(v, "auc", "F4"));
        Assert.Equal(verifyMetrics["tar@far1e-2"], Number(v, "tar_at_far_1e-2", "F4"));
        Assert.Equal(verifyMetrics["threshold"], Number(v, "threshold", "F4"));
        Assert.True(Int(v, "genuine") > 0, "the subset has genuine pairs");
        var roc = v.GetProperty("roc");
        Assert.True(roc.GetArrayLength() > 1, "the ROC has points");
        Assert.Equal(1.0, roc[roc.GetArrayLength() - 1].GetProperty("far").GetDouble());

        // Attributes: the numbers eval attributes prints, and the per-band photos add up to all photos.
        var a = json.GetProperty("attributes");
        var attributeLine = Line(attributes, "gender_accuracy=");
        var attributeValues = KeyValues(attributeLine);
        Assert.Equal(attributeValues["gender_accuracy"], Number(a, "gender_accuracy", "F4"));
        Assert.Equal(attributeValues["age_mae_expected"], Number(a, "age_mae", "F2"));
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"({Int(a, "genders_right")}/{Int(a, "genders")})"), attributeLine, StringComparison.Ordinal);
        Assert.Contains($"(n={Int(a, "ages")})", attributeLine, StringComparison.Ordinal);
        Assert.True(Int(a, "ages") >= 9, "the UTKFace chips were scored");
        Assert.Equal(Int(a, "photos"), a.GetProperty("by_band").EnumerateArray().Sum(b => b.GetProperty("photos").GetInt32()));
        Assert.Equal(Int(a, "ages"), a.GetProperty("age_scatter").GetArrayLength());
        var confusion = a.GetProperty("gender_confusion").GetProperty("counts").EnumerateArray().SelectMany(r => r.EnumerateArray()).Sum(c => c.GetInt32());
        Assert.Equal(Int(a, "genders") + Int(a, "no_face"), confusion);

        // Detection: the totals eval detect prints; the misses are its photos with fewer found than expected, one thumbnail each.
        var d = json.GetProperty("detection");
        var detectValues = KeyValues(Line(detect, "photos="));
        Assert.Equal(Printed(detectValues["photos"]), Int(d, "photos"));
        Assert.Equal(detectValues["exact_count"], $"{Int(d, "exact_count")}/{Int(d, "with_count")}");
        Assert.Equal(Printed(detectValues["faces_expected"]), Int(d, "faces_expected"));
        Assert.Equal(Printed(detectValues["faces_found"]), Int(d, "faces_found"));
        var printedMisses = DetectLine().Matches(detect).Where(m => int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) < int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture))
            .Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal).ToList();
        var reportedMisses = d.GetProperty("misses").EnumerateArray().Select(m => Path.GetFileName(m.GetProperty("path").GetString()!)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(printedMisses, reportedMisses);
        Assert.Equal(reportedMisses.Count, MissThumbnail().Count(html));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Copies the chosen entries of a shared data set's manifest, and their photos, into a new data set folder.</summary>
    private static void CopySubset(string set, string into, Func<JsonNode, bool> choose)
    {
        var source = Path.Combine(Paths.Faces, set);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "manifest.json")))!.AsObject();
        var chosen = manifest["files"]!.AsArray().Where(f => choose(f!)).Select(f => f!.DeepClone()).ToList();
        Assert.NotEmpty(chosen);
        var target = Path.Combine(into, set);
        foreach (var file in chosen)
        {
            var name = file["file"]!.GetValue<string>();
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(target, name))!);
            File.Copy(Path.Combine(source, name), Path.Combine(target, name));
        }

        File.WriteAllText(Path.Combine(target, "manifest.json"), new JsonObject { ["source"] = set, ["files"] = new JsonArray([.. chosen]) }.ToJsonString());
    }

    private async Task<string> FacectlAsync(string[] arguments)
    {
        var run = await Facectl.SucceedAsync(arguments);
        output.WriteLine($"facectl {string.Join(' ', arguments[..2])}: done");
        return run.Stdout;
    }

    private static string Line(string text, string start) =>
        text.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith(start, StringComparison.Ordinal))
        ?? throw new Xunit.Sdk.XunitException($"no line starting with {start} in:\n{text}");

    private static Dictionary<string, string> KeyValues(string line) =>
        line.Split(' ').Where(p => p.Contains('=', StringComparison.Ordinal)).Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);

    private static int Int(JsonElement element, string name) => element.GetProperty(name).GetInt32();

    private static int Printed(string value) => int.Parse(value, CultureInfo.InvariantCulture);

    private static string Number(JsonElement element, string name, string format) => element.GetProperty(name).GetDouble().ToString(format, CultureInfo.InvariantCulture);

    [GeneratedRegex("<img class=\"chart\"[^>]*src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"")]
    private static partial Regex ChartImage();

    [GeneratedRegex("<img class=\"miss\"[^>]*src=\"data:image/jpeg;base64,")]
    private static partial Regex MissThumbnail();

    [GeneratedRegex("^(\\S+): found (\\d+) expected (\\d+)", RegexOptions.Multiline)]
    private static partial Regex DetectLine();
}
