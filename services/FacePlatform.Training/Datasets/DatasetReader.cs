using System.Globalization;
using System.Text;
using FacePlatform.Training.Heads;

namespace FacePlatform.Training.Datasets;

/// <summary>
/// Reads labelled photos in place from the formats people have them in (<see cref="DatasetFormat"/>). A line or file
/// name that cannot be parsed, a photo the labels name but the disk lacks, and a label file that cannot be read at all
/// are counted in the <see cref="DatasetReport"/> and skipped, never fatal.
/// </summary>
public static class DatasetReader
{
    private static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif"];

    /// <summary>The format of <paramref name="path"/> when it is <see cref="DatasetFormat.Auto"/>.</summary>
    public static DatasetFormat Detect(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (File.Exists(path))
        {
            var header = File.ReadLines(path).FirstOrDefault() ?? string.Empty;
            return header.StartsWith("file,age,gender", StringComparison.OrdinalIgnoreCase) ? DatasetFormat.FairFace : DatasetFormat.Csv;
        }

        if (File.Exists(Path.Combine(path, "list_attr_celeba.txt")) || File.Exists(Path.Combine(path, "identity_CelebA.txt")))
        {
            return DatasetFormat.CelebA;
        }

        if (Directory.EnumerateFiles(path, "fairface_label_*.csv").Any())
        {
            return DatasetFormat.FairFace;
        }

        return DatasetFormat.UtkFace;
    }

    /// <summary>Reads <paramref name="path"/> (a folder or a label file).</summary>
    /// <param name="path">Data set folder, or its CSV.</param>
    /// <param name="format">Its format (<see cref="DatasetFormat.Auto"/>: <see cref="Detect"/>).</param>
    /// <param name="youngBelow">Ages below this count as "young" where the data set has no such label.</param>
    /// <param name="report">Where skips are counted.</param>
    public static LabelledDataset Read(string path, DatasetFormat format, float youngBelow, DatasetReport report)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(report);
        path = Path.GetFullPath(path);
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            throw new FileNotFoundException($"Data set {path} does not exist.", path);
        }

        format = format == DatasetFormat.Auto ? Detect(path) : format;
        var name = Path.GetFileName(path.TrimEnd(Path.DirectorySeparatorChar));
        var items = format switch
        {
            DatasetFormat.CelebA => ReadCelebA(path, report),
            DatasetFormat.UtkFace => ReadUtkFace(path, youngBelow, report),
            DatasetFormat.FairFace => ReadFairFace(path, youngBelow, report),
            DatasetFormat.Csv => ReadCsv(path, youngBelow, report),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
        };
        return new LabelledDataset(name, format, items);
    }

    private static List<DatasetItem> ReadUtkFace(string folder, float youngBelow, DatasetReport report)
    {
        var items = new List<DatasetItem>();
        foreach (var file in Images(folder))
        {
            // age_gender_race_date.jpg (the aligned chips add .chip.jpg); gender 0 = male, 1 = female.
            var parts = Path.GetFileName(file).Split('_');
            if (parts.Length < 3
                || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var age) || age is < 0 or > 130
                || parts[1] is not ("0" or "1"))
            {
                report.Skip(SkipReasons.MalformedLabel, $"{Path.GetFileName(file)}: not age_gender_race_date.jpg");
                continue;
            }

            items.Add(new DatasetItem(file, Path.GetRelativePath(folder, file), new FaceLabels(null, age, parts[1] == "0", age < youngBelow), null));
        }

        return items;
    }

    private static List<DatasetItem> ReadCelebA(string folder, DatasetReport report)
    {
        var images = Path.Combine(folder, "img_align_celeba");
        var attributes = ReadTable(Path.Combine(folder, "list_attr_celeba.txt"), report, skipLines: 1);
        var identities = ReadTable(Path.Combine(folder, "identity_CelebA.txt"), report, skipLines: 0);
        var partitions = ReadTable(Path.Combine(folder, "list_eval_partition.txt"), report, skipLines: 0);
        int male = -1, young = -1;
        if (attributes is { Count: > 0 })
        {
            // The first line after the count names the 40 attributes; data lines carry the file name first.
            var names = attributes[0].Fields;
            male = Array.IndexOf(names, "Male");
            young = Array.IndexOf(names, "Young");
            attributes.RemoveAt(0);
        }

        var files = new SortedDictionary<string, (bool? Male, bool? Young, string? Subject, bool? Validation)>(StringComparer.Ordinal);
        foreach (var (line, fields) in attributes ?? [])
        {
            if (fields.Length < Math.Max(male, young) + 2 || (male >= 0 && fields[male + 1] is not ("1" or "-1")) || (young >= 0 && fields[young + 1] is not ("1" or "-1")))
            {
                report.Skip(SkipReasons.MalformedLabel, $"list_attr_celeba.txt line {line}");
                continue;
            }

            files[fields[0]] = (male >= 0 ? fields[male + 1] == "1" : null, young >= 0 ? fields[young + 1] == "1" : null, null, null);
        }

        foreach (var (line, fields) in identities ?? [])
        {
            if (fields.Length != 2)
            {
                report.Skip(SkipReasons.MalformedLabel, $"identity_CelebA.txt line {line}");
                continue;
            }

            files[fields[0]] = (files.TryGetValue(fields[0], out var f) ? f : default) with { Subject = "celeba:" + fields[1] };
        }

        foreach (var (line, fields) in partitions ?? [])
        {
            // 0 train, 1 validation, 2 test (kept out of training and of model selection alike).
            if (fields.Length != 2 || fields[1] is not ("0" or "1" or "2"))
            {
                report.Skip(SkipReasons.MalformedLabel, $"list_eval_partition.txt line {line}");
                continue;
            }

            if (fields[1] == "2")
            {
                files.Remove(fields[0]);
            }
            else if (files.TryGetValue(fields[0], out var f))
            {
                files[fields[0]] = f with { Validation = fields[1] == "1" };
            }
        }

        var items = new List<DatasetItem>();
        foreach (var (file, labels) in files)
        {
            var path = Path.Combine(images, file);
            if (!File.Exists(path))
            {
                report.Skip(SkipReasons.MissingImage, file);
                continue;
            }

            items.Add(new DatasetItem(path, file, new FaceLabels(labels.Subject, null, labels.Male, labels.Young), labels.Validation));
        }

        return items;
    }

    private static List<DatasetItem> ReadFairFace(string path, float youngBelow, DatasetReport report)
    {
        // A folder holds fairface_label_train.csv and fairface_label_val.csv (the split); a single CSV has none.
        var files = File.Exists(path) ? [path] : Directory.EnumerateFiles(path, "fairface_label_*.csv").Order(StringComparer.Ordinal).ToList();
        var items = new List<DatasetItem>();
        foreach (var csv in files)
        {
            var root = Path.GetDirectoryName(csv)!;
            bool? validation = Path.GetFileName(csv).Contains("_val", StringComparison.OrdinalIgnoreCase) ? true
                : Path.GetFileName(csv).Contains("_train", StringComparison.OrdinalIgnoreCase) ? false : null;
            var rows = ReadCsv(csv, ["file", "age", "gender"], report);
            foreach (var row in rows ?? [])
            {
                var age = FairFaceAge(row.Field("age"));
                bool? male = row.Field("gender")?.ToLowerInvariant() switch { "male" => true, "female" => false, _ => null };
                if (string.IsNullOrEmpty(row.Field("file")) || (age is null && male is null))
                {
                    report.Skip(SkipReasons.MalformedLabel, $"{Path.GetFileName(csv)} line {row.Line}");
                    continue;
                }

                var file = Path.Combine(root, row.Field("file")!);
                if (!File.Exists(file))
                {
                    report.Skip(SkipReasons.MissingImage, row.Field("file")!);
                    continue;
                }

                // Ranges, not years: the age head learns the range's middle, "young" is a range wholly below the threshold.
                items.Add(new DatasetItem(file, row.Field("file")!, new FaceLabels(null, age?.Middle, male, age is { } a ? a.Upper <= youngBelow : null), validation));
            }
        }

        return items;
    }

    private static List<DatasetItem> ReadCsv(string csv, float youngBelow, DatasetReport report)
    {
        var root = Path.GetDirectoryName(csv)!;
        var items = new List<DatasetItem>();
        foreach (var row in ReadCsv(csv, ["path", "subject", "age", "gender"], report) ?? [])
        {
            var path = row.Field("path");
            var ageText = row.Field("age");
            float? age = null;
            if (!string.IsNullOrEmpty(ageText))
            {
                if (!float.TryParse(ageText, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) || parsed is < 0 or > 130)
                {
                    report.Skip(SkipReasons.MalformedLabel, $"{Path.GetFileName(csv)} line {row.Line}: age '{ageText}'");
                    continue;
                }

                age = parsed;
            }

            var genderText = row.Field("gender")?.ToLowerInvariant();
            bool? male = genderText switch { "male" or "m" => true, "female" or "f" => false, null or "" => null, _ => null };
            if (male is null && !string.IsNullOrEmpty(genderText))
            {
                report.Skip(SkipReasons.MalformedLabel, $"{Path.GetFileName(csv)} line {row.Line}: gender '{genderText}'");
                continue;
            }

            var subject = row.Field("subject") is { Length: > 0 } s ? s : null;
            var split = row.Field("split")?.ToLowerInvariant();
            bool? validation = split switch { "validation" or "val" => true, "train" => false, _ => null };
            if (string.IsNullOrEmpty(path) || (age is null && male is null && subject is null))
            {
                report.Skip(SkipReasons.MalformedLabel, $"{Path.GetFileName(csv)} line {row.Line}: no path or no label");
                continue;
            }

            var file = Path.GetFullPath(Path.Combine(root, path));
            if (!File.Exists(file))
            {
                report.Skip(SkipReasons.MissingImage, path);
                continue;
            }

            items.Add(new DatasetItem(file, path, new FaceLabels(subject, age, male, age is { } a ? a < youngBelow : null), validation));
        }

        return items;
    }

    /// <summary>FairFace's age ranges ("0-2", "20-29", "more than 70") as their middle and upper end.</summary>
    private static (float Middle, float Upper)? FairFaceAge(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (text.StartsWith("more than ", StringComparison.OrdinalIgnoreCase)
            && int.TryParse(text.AsSpan(10), NumberStyles.None, CultureInfo.InvariantCulture, out var above))
        {
            return (above + 5, 130);
        }

        var dash = text.IndexOf('-', StringComparison.Ordinal);
        return dash > 0
            && int.TryParse(text.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var low)
            && int.TryParse(text.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var high) && high >= low
            ? ((low + high + 1) / 2f, high + 1)
            : null;
    }

    private static IEnumerable<string> Images(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal);

    /// <summary>Whitespace-separated lines after <paramref name="skipLines"/> (CelebA's lists), or null when the file cannot be read.</summary>
    private static List<(int Line, string[] Fields)>? ReadTable(string path, DatasetReport report, int skipLines)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return [.. File.ReadLines(path).Select((text, i) => (Line: i + 1, Fields: text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)))
                .Skip(skipLines).Where(l => l.Fields.Length > 0)];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or DecoderFallbackException)
        {
            report.Skip(SkipReasons.MalformedLabelFile, $"{Path.GetFileName(path)}: {ex.Message}");
            return null;
        }
    }

    /// <summary>
    /// The rows of a CSV with a header naming at least <paramref name="required"/>, or null (reported) when the file
    /// cannot be read or its header lacks them.
    /// </summary>
    private static List<CsvRow>? ReadCsv(string path, string[] required, DatasetReport report)
    {
        List<string> lines;
        try
        {
            lines = [.. File.ReadLines(path, new UTF8Encoding(false, throwOnInvalidBytes: true))];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or DecoderFallbackException)
        {
            report.Skip(SkipReasons.MalformedLabelFile, $"{Path.GetFileName(path)}: {ex.Message}");
            return null;
        }

        var header = lines.Count > 0 ? SplitCsv(lines[0]) : null;
        var columns = header?.Select((name, i) => (Name: name.Trim().ToLowerInvariant(), Index: i)).ToDictionary(c => c.Name, c => c.Index, StringComparer.Ordinal);
        var missing = columns is null ? required : required.Where(r => !columns.ContainsKey(r)).ToArray();
        if (columns is null || missing.Length > 0)
        {
            report.Skip(SkipReasons.MalformedLabelFile, $"{Path.GetFileName(path)}: header must name {string.Join(",", required)} (missing {string.Join(",", missing)})");
            return null;
        }

        var rows = new List<CsvRow>();
        for (var i = 1; i < lines.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i]))
            {
                continue;
            }

            var fields = SplitCsv(lines[i]);
            if (fields is null || fields.Count != header!.Count)
            {
                report.Skip(SkipReasons.MalformedLabel, $"{Path.GetFileName(path)} line {i + 1}: {fields?.Count ?? 0} fields, header has {header!.Count}");
                continue;
            }

            rows.Add(new CsvRow(i + 1, columns, fields));
        }

        return rows;
    }

    /// <summary>RFC 4180 fields of one line (quotes, doubled quotes inside); null when a quote is left open.</summary>
    private static List<string>? SplitCsv(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString().Trim());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        if (quoted)
        {
            return null;
        }

        fields.Add(field.ToString().Trim());
        return fields;
    }

    private sealed record CsvRow(int Line, Dictionary<string, int> Columns, List<string> Fields)
    {
        public string? Field(string name) => Columns.TryGetValue(name, out var i) ? Fields[i] : null;
    }
}
