using System.Globalization;
using System.Net;
using System.Text;
using SkiaSharp;

namespace FacePlatform.Cli.Reports;

/// <summary>
/// Writes the report as one self-contained HTML page: figures as PNG data URIs, detection misses as JPEG thumbnails in
/// data URIs, so the file can be mailed or attached to an issue on its own.
/// </summary>
internal static class ReportHtml
{
    /// <summary>Thumbnails' longer side in pixels.</summary>
    private const int ThumbnailSide = 160;

    public static string Render(EvalReport report, int maxThumbnails)
    {
        var html = new StringBuilder();
        var v = report.Verification;
        var d = report.Detection;
        var a = report.Attributes;
        html.Append("""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>facectl eval report</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:24px;max-width:1200px;color:#222}
            h1{margin-bottom:4px} h2{border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:32px}
            table{border-collapse:collapse;margin:8px 0} td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}
            th{background:#f4f4f4} td:first-child,th:first-child{text-align:left}
            .figures{display:flex;flex-wrap:wrap;gap:16px} .figures img.chart{border:1px solid #eee}
            .thumbs{display:flex;flex-wrap:wrap;gap:10px} figure{margin:0;width:170px;font-size:12px;word-break:break-all}
            figure img{max-width:160px;max-height:160px;display:block;border:1px solid #ccc}
            .muted{color:#666}
            </style></head><body>
            """);
        html.Append(Invariant($"<h1>facectl eval report</h1><p class=\"muted\">{E(string.Join(", ", report.Data))} · model {E(report.Model)} · crop {E(report.Crop)} · {report.GeneratedUtc:yyyy-MM-dd HH:mm} UTC"));
        if (report.LimitPerDataSet is { } limit)
        {
            html.Append(Invariant($" · at most {limit} photos per data set"));
        }

        html.Append("</p>");
        html.Append("<h2 id=\"summary\">Counts and timing</h2><table><tr><th>run</th><th>photos</th><th>seconds</th><th>photos/s</th></tr>");
        Row(html, "verification", v.Photos, report.TimingSeconds.Verification);
        Row(html, "detection", d.Photos, report.TimingSeconds.Detection);
        Row(html, "attributes", a.Photos, report.TimingSeconds.Attributes);
        html.Append(Invariant($"<tr><th>total</th><th></th><th>{report.TimingSeconds.Total:F1}</th><th></th></tr></table>"));

        html.Append("<h2 id=\"verification\">Verification</h2>");
        html.Append(Invariant($"<p>{v.Photos} photos with an identity and one face ({v.NoFace} without a face found, left out), {v.Pairs} pairs: {v.Genuine} genuine, {v.Impostor} impostor.</p>"));
        html.Append("<table><tr><th>accuracy (10-fold)</th><th>AUC</th><th>TAR @ FAR 1e-2</th><th>TAR @ FAR 1e-3</th><th>threshold</th></tr>");
        html.Append(Invariant($"<tr><td>{F(v.Accuracy10Fold)} ± {F(v.AccuracyStd)}</td><td>{F(v.Auc)}</td><td>{F(v.TarAtFar1e2)}</td><td>{F(v.TarAtFar1e3)}</td><td>{F(v.Threshold)}</td></tr></table>"));
        html.Append("<div class=\"figures\">").Append(ReportCharts.Roc(v)).Append(ReportCharts.Det(v)).Append("</div>");

        html.Append("<h2 id=\"attributes\">Age and gender</h2>");
        html.Append(Invariant($"<p>{a.Photos} photos with an age or gender label and one face; {a.NoFace} without a face found. Gender accuracy {F(a.GenderAccuracy)} ({a.GendersRight}/{a.Genders}); age MAE {F(a.AgeMae, "F2")} years (Human 3.3.6's readout of the same bins: {F(a.AgeMaeHumanFormula, "F2")}; n={a.Ages}).</p>"));
        html.Append("<h3>Gender confusion matrix</h3><table><tr><th>label \\ predicted</th>");
        foreach (var column in a.GenderConfusion.Predicted)
        {
            html.Append("<th>").Append(E(column)).Append("</th>");
        }

        html.Append("</tr>");
        for (var r = 0; r < a.GenderConfusion.Labels.Count; r++)
        {
            html.Append("<tr><td>").Append(E(a.GenderConfusion.Labels[r])).Append("</td>");
            foreach (var count in a.GenderConfusion.Counts[r])
            {
                html.Append(Invariant($"<td>{count}</td>"));
            }

            html.Append("</tr>");
        }

        html.Append("</table><h3>By age band</h3><table><tr><th>band</th><th>photos</th><th>age MAE</th><th>gender accuracy</th></tr>");
        foreach (var band in a.ByBand)
        {
            html.Append(Invariant($"<tr><td>{E(band.Band)}</td><td>{band.Photos}</td><td>{F(band.AgeMae, "F2")} (n={band.Ages})</td><td>{F(band.GenderAccuracy)} (n={band.Genders})</td></tr>"));
        }

        html.Append("</table><div class=\"figures\">").Append(ReportCharts.AgeScatter(a)).Append(ReportCharts.AgeMaeByBand(a)).Append("</div>");

        html.Append("<h2 id=\"detection\">Detection</h2>");
        html.Append(Invariant($"<p>{d.Photos} photos with a face count or boxes: exact count on {d.ExactCount}/{d.WithCount}, {d.FacesFound} faces found of {d.FacesExpected} labelled."));
        if (d.Boxes > 0)
        {
            html.Append(Invariant($" Boxes at IoU 0.5: recall {F(d.BoxRecall)}, precision {F(d.BoxPrecision)} ({d.BoxesMatched}/{d.Boxes}, {d.BoxDetections} detections)."));
        }

        if (d.Noses > 0)
        {
            html.Append(Invariant($" Nose points: recall {F(d.NoseRecall)}, precision {F(d.NosePrecision)} ({d.NosesHit}/{d.Noses})."));
        }

        html.Append("</p>");
        html.Append(Invariant($"<h3 id=\"misses\">Misses: fewer faces found than labelled ({d.Misses.Count})</h3>"));
        if (d.Misses.Count > maxThumbnails)
        {
            html.Append(Invariant($"<p class=\"muted\">The first {maxThumbnails} shown; report.json lists all.</p>"));
        }

        html.Append("<div class=\"thumbs\">");
        foreach (var miss in d.Misses.Take(maxThumbnails))
        {
            var caption = miss.Rejected ?? Invariant($"found {miss.Found} of {miss.Expected}");
            html.Append("<figure>");
            html.Append(Thumbnail(miss.Path) is { } uri ? $"<img class=\"miss\" alt=\"{E(Path.GetFileName(miss.Path))}\" src=\"{uri}\">" : "<div class=\"muted\">(not decodable)</div>");
            html.Append("<figcaption>").Append(E(Path.GetFileName(miss.Path))).Append("<br>").Append(E(caption)).Append("</figcaption></figure>");
        }

        html.Append("</div><p class=\"muted\">The same numbers, curves and points are in report.json.</p></body></html>\n");
        return html.ToString();
    }

    /// <summary>A JPEG data URI of the photo shrunk to <see cref="ThumbnailSide"/>, or null when it does not decode.</summary>
    private static string? Thumbnail(string path)
    {
        using var bitmap = SKBitmap.Decode(path);
        if (bitmap is null || bitmap.Width == 0 || bitmap.Height == 0)
        {
            return null;
        }

        var scale = Math.Min(1.0, ThumbnailSide / (double)Math.Max(bitmap.Width, bitmap.Height));
        var info = new SKImageInfo(Math.Max(1, (int)(bitmap.Width * scale)), Math.Max(1, (int)(bitmap.Height * scale)));
        using var small = bitmap.Resize(info, new SKSamplingOptions(SKCubicResampler.Mitchell));
        using var image = SKImage.FromBitmap(small ?? bitmap);
        using var jpeg = image.Encode(SKEncodedImageFormat.Jpeg, 80);
        return "data:image/jpeg;base64," + Convert.ToBase64String(jpeg.AsSpan());
    }

    private static void Row(StringBuilder html, string name, int photos, double seconds) =>
        html.Append(Invariant($"<tr><td>{name}</td><td>{photos}</td><td>{seconds:F1}</td><td>{(seconds > 0 ? photos / seconds : 0):F1}</td></tr>"));

    private static string F(double? value, string format = "F4") => value is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "–";

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
