using FacePlatform.Training.Datasets;

namespace FacePlatform.Training.Tests;

/// <summary>The data set formats, read from small files written by each test; bad lines and files are reported, not fatal.</summary>
public sealed class DatasetReaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("faceplatform-datasets").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void UtkFaceNamesGiveAgeAndGenderAndOtherNamesAreReported()
    {
        Touch("utk/25_0_1_20170116174525125.jpg.chip.jpg", "utk/3_1_2_20161219.jpg", "utk/holiday.jpg", "utk/x_0_1_2017.jpg", "utk/notes.txt");
        var report = new DatasetReport();
        var dataset = DatasetReader.Read(Path.Combine(_folder, "utk"), DatasetFormat.Auto, 30, report);
        Assert.Equal(DatasetFormat.UtkFace, dataset.Format);
        var items = dataset.Items.ToDictionary(i => i.Key, i => i.Labels);
        Assert.Equal(2, items.Count);
        Assert.Equal(new(null, 25, true, true), items["25_0_1_20170116174525125.jpg.chip.jpg"]);
        Assert.Equal(new(null, 3, false, true), items["3_1_2_20161219.jpg"]);
        Assert.Equal(2, report.Skipped[SkipReasons.MalformedLabel]);
    }

    [Fact]
    public void FairFaceRangesBecomeTheirMiddleAndItsFilesGiveTheSplit()
    {
        Touch("ff/train/1.jpg", "ff/train/2.jpg", "ff/val/1.jpg");
        File.WriteAllLines(Path.Combine(_folder, "ff", "fairface_label_train.csv"),
            ["file,age,gender,race,service_test", "train/1.jpg,20-29,Male,White,True", "train/2.jpg,more than 70,Female,Black,False", "train/3.jpg,3-9,Male,White,True", "train/2.jpg,lots,Nobody,White,True"]);
        File.WriteAllLines(Path.Combine(_folder, "ff", "fairface_label_val.csv"), ["file,age,gender,race", "val/1.jpg,0-2,Female,Indian"]);
        var report = new DatasetReport();
        var dataset = DatasetReader.Read(Path.Combine(_folder, "ff"), DatasetFormat.Auto, 30, report);
        Assert.Equal(DatasetFormat.FairFace, dataset.Format);
        var items = dataset.Items.ToDictionary(i => i.Key);
        Assert.Equal(3, items.Count);
        Assert.Equal(new(null, 25, true, true), items["train/1.jpg"].Labels);
        Assert.Equal(new(null, 75, false, false), items["train/2.jpg"].Labels);
        Assert.Equal(new(null, 1.5f, false, true), items["val/1.jpg"].Labels);
        Assert.False(items["train/1.jpg"].Validation);
        Assert.True(items["val/1.jpg"].Validation);
        Assert.Equal(1, report.Skipped[SkipReasons.MissingImage]);
        Assert.Equal(1, report.Skipped[SkipReasons.MalformedLabel]);
    }

    [Fact]
    public void CelebALayoutGivesMaleYoungIdentityAndPartition()
    {
        Touch("celeba/img_align_celeba/000001.jpg", "celeba/img_align_celeba/000002.jpg", "celeba/img_align_celeba/000003.jpg");
        File.WriteAllLines(Path.Combine(_folder, "celeba", "list_attr_celeba.txt"),
            ["3", "5_o_Clock_Shadow Male Young", "000001.jpg -1 1 1", "000002.jpg 1 -1 -1", "000003.jpg 1 1 -1", "000004.jpg 1 maybe 1"]);
        File.WriteAllLines(Path.Combine(_folder, "celeba", "identity_CelebA.txt"), ["000001.jpg 10", "000002.jpg 10", "000003.jpg 11"]);
        File.WriteAllLines(Path.Combine(_folder, "celeba", "list_eval_partition.txt"), ["000001.jpg 0", "000002.jpg 1", "000003.jpg 2"]);
        var report = new DatasetReport();
        var dataset = DatasetReader.Read(Path.Combine(_folder, "celeba"), DatasetFormat.Auto, 30, report);
        Assert.Equal(DatasetFormat.CelebA, dataset.Format);
        var items = dataset.Items.ToDictionary(i => i.Key);
        // 000003 is in the test partition: kept out; 000004's line is malformed.
        Assert.Equal(["000001.jpg", "000002.jpg"], items.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(new("celeba:10", null, true, true), items["000001.jpg"].Labels);
        Assert.Equal(new("celeba:10", null, false, false), items["000002.jpg"].Labels);
        Assert.False(items["000001.jpg"].Validation);
        Assert.True(items["000002.jpg"].Validation);
        Assert.Equal(1, report.Skipped[SkipReasons.MalformedLabel]);
    }

    [Fact]
    public void PlainCsvReadsLabelsAndReportsMalformedLinesAndFiles()
    {
        Touch("csv/a.jpg", "csv/b.jpg");
        var csv = Path.Combine(_folder, "csv", "labels.csv");
        File.WriteAllLines(csv, ["path,subject,age,gender", "a.jpg,ann,31,F", "\"b.jpg\",bob,,male", "a.jpg,ann,old,f", "a.jpg,ann,3,robot", "c.jpg,cy,4,m", "a.jpg,too,many,fields,here", ",,,"]);
        var report = new DatasetReport();
        var dataset = DatasetReader.Read(csv, DatasetFormat.Auto, 30, report);
        Assert.Equal(DatasetFormat.Csv, dataset.Format);
        Assert.Equal(2, dataset.Items.Count);
        Assert.Equal(new("ann", 31, false, false), dataset.Items[0].Labels);
        Assert.Equal(new("bob", null, true, null), dataset.Items[1].Labels);
        Assert.Equal(4, report.Skipped[SkipReasons.MalformedLabel]);
        Assert.Equal(1, report.Skipped[SkipReasons.MissingImage]);

        var bad = Path.Combine(_folder, "csv", "bad.csv");
        File.WriteAllLines(bad, ["image;who", "a.jpg;ann"]);
        var badReport = new DatasetReport();
        Assert.Empty(DatasetReader.Read(bad, DatasetFormat.Csv, 30, badReport).Items);
        Assert.Equal(1, badReport.Skipped[SkipReasons.MalformedLabelFile]);
        Assert.Contains("bad.csv", badReport.ExamplesOf(SkipReasons.MalformedLabelFile)[0], StringComparison.Ordinal);
    }

    [Fact]
    public void TheDeterministicSplitDependsOnlyOnThePhotosName()
    {
        var items = Enumerable.Range(0, 2000).Select(i => new DatasetItem($"/somewhere/{i}.jpg", $"{i}.jpg", new(null, 1, true, true), null)).ToList();
        var elsewhere = items.Select(i => i with { Path = "/elsewhere/" + i.Key }).ToList();
        var chosen = items.Where(i => ValidationSplit.IsValidation(i, 0.2)).Select(i => i.Key).ToList();
        Assert.Equal(chosen, elsewhere.Where(i => ValidationSplit.IsValidation(i, 0.2)).Select(i => i.Key));
        Assert.InRange(chosen.Count, 340, 460);
        Assert.True(ValidationSplit.IsValidation(items[0] with { Validation = true }, 0));
        Assert.False(ValidationSplit.IsValidation(items[0] with { Validation = false }, 1));
    }

    private void Touch(params string[] files)
    {
        foreach (var file in files)
        {
            var path = Path.Combine(_folder, file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, [1]);
        }
    }
}
