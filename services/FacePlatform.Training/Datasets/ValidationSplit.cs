using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace FacePlatform.Training.Datasets;

/// <summary>
/// The validation split: the data set's own where it has one (CelebA's partition, FairFace's val file, a CSV's
/// <c>split</c> column), else a fixed share of photos chosen by the SHA-256 of their name inside the data set — the
/// same photos on every machine and every run, whatever the seed or the order of the files.
/// </summary>
public static class ValidationSplit
{
    /// <summary>True when <paramref name="item"/> belongs to the validation split.</summary>
    public static bool IsValidation(DatasetItem item, double fraction)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (item.Validation is { } own)
        {
            return own;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(item.Key.Replace('\\', '/')));
        return BinaryPrimitives.ReadUInt64BigEndian(hash) / (double)ulong.MaxValue < fraction;
    }
}
