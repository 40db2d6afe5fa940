namespace FacePlatform.Cli.Commands;

/// <summary>
/// A labels file of people's gender by identity (<c>identity,gender,source</c> rows after a header; <c>#</c> starts a
/// comment line), e.g. tests/data/identity-gender.csv: the public people of the shared photo sets, whose gender is a
/// public fact, so gender can be measured on photos that no age and gender model was trained on.
/// </summary>
internal static class IdentityGenders
{
    /// <summary>Identity → <c>male</c> or <c>female</c>.</summary>
    /// <exception cref="InvalidDataException">A row is not identity,gender,source with gender male or female, or an identity repeats.</exception>
    public static Dictionary<string, string> Load(string path)
    {
        var genders = new Dictionary<string, string>(StringComparer.Ordinal);
        var lines = File.ReadAllLines(path);
        for (var n = 1; n < lines.Length; n++)
        {
            var line = lines[n].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var cells = line.Split(',', 3, StringSplitOptions.TrimEntries);
            if (cells.Length < 3 || cells[0].Length == 0 || cells[1] is not ("male" or "female") || cells[2].Length == 0)
            {
                throw new InvalidDataException($"{path}:{n + 1}: expected identity,gender,source with gender male or female and a source, got '{line}'");
            }

            if (!genders.TryAdd(cells[0], cells[1]))
            {
                throw new InvalidDataException($"{path}:{n + 1}: identity '{cells[0]}' is listed twice");
            }
        }

        return genders;
    }
}
