using System.Globalization;
using ScottPlot;

namespace FacePlatform.Cli.Reports;

/// <summary>The report's figures, drawn with ScottPlot as PNG images to inline in the HTML page.</summary>
internal static class ReportCharts
{
    private const int Width = 560;
    private const int Height = 400;

    /// <summary>
    /// The font every chart's text is drawn in. The SkiaSharp native build the pipeline uses
    /// (SkiaSharp.NativeAssets.Linux.NoDependencies) has no fontconfig, so family names resolve to nothing and the
    /// charts came out without any text; a font file on disk (Debian: fonts-dejavu-core) is loaded by path instead.
    /// </summary>
    private static readonly string? FontFile = FindFont();

    static ReportCharts()
    {
        if (FontFile is not null)
        {
            Fonts.AddFontFile("report-sans", FontFile);
            var bold = FontFile.Replace(".ttf", "-Bold.ttf", StringComparison.Ordinal);
            Fonts.AddFontFile("report-sans", File.Exists(bold) ? bold : FontFile, bold: true);
            Fonts.Default = "report-sans";
        }
    }

    /// <summary>False when no font file was found: the charts are drawn without text (the tables carry the numbers).</summary>
    public static bool HasFont => FontFile is not null;

    /// <summary>TAR against FAR, FAR on a log axis (face verification lives at FAR 1e-2..1e-4).</summary>
    public static string Roc(VerificationSection verification)
    {
        var plot = NewPlot("ROC", "false accept rate (log)", "true accept rate");
        var floor = LogFloor(verification.Impostor);
        var points = verification.Roc.Where(p => p.Far > 0).ToList();
        if (points.Count > 0)
        {
            var line = plot.Add.ScatterLine(points.Select(p => Math.Log10(p.Far)).ToArray(), points.Select(p => p.Tar).ToArray());
            line.LineWidth = 2;
            line.LegendText = string.Create(CultureInfo.InvariantCulture, $"AUC {verification.Auc:F4}");
            plot.ShowLegend(Alignment.LowerRight);
        }

        var (xs, xLabels) = LogTicks(floor);
        plot.Axes.Bottom.SetTicks(xs, xLabels);
        plot.Axes.SetLimits(floor, 0, 0, 1.02);
        return Image(plot);
    }

    /// <summary>Detection error tradeoff: false reject against false accept rate, both on log axes.</summary>
    public static string Det(VerificationSection verification)
    {
        var plot = NewPlot("DET", "false accept rate (log)", "false reject rate (log)");
        var farFloor = LogFloor(verification.Impostor);
        var frrFloor = LogFloor(verification.Genuine);
        // A log axis has no zero: points with no false accepts or no false rejects are off the chart.
        var points = verification.Roc.Where(p => p.Far > 0 && p.Frr > 0).ToList();
        if (points.Count > 0)
        {
            var line = plot.Add.ScatterLine(points.Select(p => Math.Log10(p.Far)).ToArray(), points.Select(p => Math.Log10(p.Frr)).ToArray());
            line.LineWidth = 2;
        }

        var (xs, xLabels) = LogTicks(farFloor);
        plot.Axes.Bottom.SetTicks(xs, xLabels);
        var (ys, yLabels) = LogTicks(frrFloor);
        plot.Axes.Left.SetTicks(ys, yLabels);
        plot.Axes.SetLimits(farFloor, 0, frrFloor, 0);
        return Image(plot);
    }

    /// <summary>Predicted against labelled age, with the diagonal of a perfect readout.</summary>
    public static string AgeScatter(AttributeSection attributes)
    {
        var plot = NewPlot("Age: predicted vs labelled", "labelled age", "predicted age");
        var top = Math.Max(100, attributes.AgeScatter.Select(p => Math.Max(p.Age, p.Predicted)).DefaultIfEmpty(0).Max() + 5);
        var diagonal = plot.Add.Line(0, 0, top, top);
        diagonal.LineColor = Colors.Gray;
        diagonal.LinePattern = LinePattern.Dashed;
        if (attributes.AgeScatter.Count > 0)
        {
            var points = plot.Add.ScatterPoints(attributes.AgeScatter.Select(p => (double)p.Age).ToArray(), attributes.AgeScatter.Select(p => (double)p.Predicted).ToArray());
            points.MarkerSize = 4;
            points.Color = Colors.Blue.WithAlpha(0.35);
        }

        plot.Axes.SetLimits(0, top, 0, top);
        return Image(plot);
    }

    /// <summary>Age MAE per 10-year band of labelled age.</summary>
    public static string AgeMaeByBand(AttributeSection attributes)
    {
        var plot = NewPlot("Age MAE by band", "labelled age", "mean absolute error (years)");
        var rows = attributes.ByBand.Where(b => b.AgeMae is not null).ToList();
        var positions = Enumerable.Range(0, rows.Count).Select(i => (double)i).ToArray();
        if (rows.Count > 0)
        {
            var bars = plot.Add.Bars(positions, rows.Select(b => b.AgeMae!.Value).ToArray());
            foreach (var bar in bars.Bars)
            {
                bar.Label = bar.Value.ToString("F1", CultureInfo.InvariantCulture);
            }

            plot.Axes.Bottom.SetTicks(positions, [.. rows.Select(b => b.Band)]);
            plot.Axes.Margins(bottom: 0);
        }

        return Image(plot);
    }

    /// <summary>
    /// The plot as a PNG <c>img</c> tag with a data URI. Not SVG: ScottPlot's SVG export (SkiaSharp's SVG canvas) came out
    /// without any text on this machine, while the PNG renders titles and tick labels with the installed fonts.
    /// </summary>
    private static string Image(Plot plot)
    {
        // Drawn at twice the size shown, so that it stays sharp on high-density screens and in screenshots.
        plot.ScaleFactor = 2;
        var png = plot.GetImageBytes(Width * 2, Height * 2, ImageFormat.Png);
        return string.Create(CultureInfo.InvariantCulture, $"<img class=\"chart\" width=\"{Width}\" height=\"{Height}\" alt=\"{plot.Axes.Title.Label.Text}\" src=\"data:image/png;base64,{Convert.ToBase64String(png)}\">");
    }

    private static Plot NewPlot(string title, string x, string y)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel(x);
        plot.YLabel(y);
        return plot;
    }

    private static string? FindFont()
    {
        string[] known =
        [
            "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
            "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
            "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
        ];
        return known.FirstOrDefault(File.Exists)
            ?? (Directory.Exists("/usr/share/fonts") ? Directory.EnumerateFiles("/usr/share/fonts", "*.ttf", SearchOption.AllDirectories).Order(StringComparer.Ordinal).FirstOrDefault() : null);
    }

    /// <summary>The log10 of the smallest nonzero rate n samples can show, rounded down to a decade.</summary>
    private static double LogFloor(int samples) => samples > 0 ? Math.Floor(Math.Log10(1.0 / samples)) : -3;

    /// <summary>One labelled tick per decade from 10^floor to 1.</summary>
    private static (double[] Positions, string[] Labels) LogTicks(double floor)
    {
        var decades = Enumerable.Range(0, (int)-floor + 1).Select(i => floor + i).ToArray();
        return (decades, [.. decades.Select(d => d == 0 ? "1" : string.Create(CultureInfo.InvariantCulture, $"1e{d:F0}"))]);
    }
}
