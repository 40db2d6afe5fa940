using FacePlatform.Training.Heads;

namespace FacePlatform.Training.Datasets;

/// <summary>The data set formats <c>facectl train</c> reads in place.</summary>
public enum DatasetFormat
{
    /// <summary>Decided from what the folder or file holds.</summary>
    Auto,

    /// <summary>CelebA: <c>img_align_celeba/</c>, <c>list_attr_celeba.txt</c>, <c>identity_CelebA.txt</c>, <c>list_eval_partition.txt</c>.</summary>
    CelebA,

    /// <summary>UTKFace: labels in the file names, <c>age_gender_race_date.jpg</c> (gender 0 male, 1 female).</summary>
    UtkFace,

    /// <summary>FairFace: <c>file,age,gender,race</c> CSV with age ranges (<c>fairface_label_train.csv</c>, <c>…_val.csv</c>).</summary>
    FairFace,

    /// <summary>A plain CSV <c>path,subject,age,gender[,split]</c>; empty fields are missing labels.</summary>
    Csv,
}

/// <summary>One photo of a data set and its labels.</summary>
/// <param name="Path">Absolute path of the photo.</param>
/// <param name="Key">The photo's name inside the data set (stable across machines; the deterministic split hashes it).</param>
/// <param name="Labels">Its labels.</param>
/// <param name="Validation">The data set's own split (true: validation), or null when it has none.</param>
public sealed record DatasetItem(string Path, string Key, FaceLabels Labels, bool? Validation);

/// <summary>A data set read in place.</summary>
/// <param name="Name">Its name (folder or file name).</param>
/// <param name="Format">Its format.</param>
/// <param name="Items">Photos with at least one label.</param>
public sealed record LabelledDataset(string Name, DatasetFormat Format, IReadOnlyList<DatasetItem> Items);
