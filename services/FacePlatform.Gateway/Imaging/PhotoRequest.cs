namespace FacePlatform.Gateway.Imaging;

/// <summary>
/// A request that carries photos: <c>multipart/form-data</c> (files in fields such as <c>image</c>) or JSON whose image
/// fields hold base64. Other form or JSON fields and the query string become <see cref="Fields"/>.
/// </summary>
internal sealed class PhotoRequest
{
    private static readonly HashSet<string> ImageFields = ["image", "image1", "image2"];

    private PhotoRequest(Dictionary<string, string> fields, Dictionary<string, byte[]> images)
    {
        Fields = fields;
        Images = images;
    }

    public IReadOnlyDictionary<string, string> Fields { get; }

    public IReadOnlyDictionary<string, byte[]> Images { get; }

    public string? Field(string name) => Fields.TryGetValue(name, out var value) && value.Length > 0 ? value : null;

    public int IntField(string name)
    {
        var value = Field(name);
        if (value is null)
        {
            return 0;
        }

        return int.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var number)
            ? number
            : throw Errors.ApiProblemException.BadRequest($"{name} must be a whole number, not '{value}'");
    }

    public float? FloatField(string name)
    {
        var value = Field(name);
        if (value is null)
        {
            return null;
        }

        return float.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number)
            && number is >= -1 and <= 1
            ? number
            : throw Errors.ApiProblemException.BadRequest($"{name} must be a number between -1 and 1, not '{value}'");
    }

    public byte[] Image(string name) => Images.TryGetValue(name, out var bytes)
        ? bytes
        : throw Errors.ApiProblemException.BadRequest(
            $"the request has no '{name}': send it as a multipart/form-data file field, or as base64 in a JSON body");

    public byte[]? OptionalImage(string name) => Images.GetValueOrDefault(name);

    /// <summary>
    /// The query and the text fields of an already read form, without its files: for batches, whose files are read
    /// one at a time, each under its own in-flight admission.
    /// </summary>
    public static PhotoRequest FieldsOf(HttpRequest request, IFormCollection form)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(form);
        var fields = request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in form)
        {
            fields[key] = value.ToString();
        }

        return new PhotoRequest(fields, []);
    }

    /// <summary>
    /// One photo of a multipart batch (analyse, enrol): admitted to the in-flight budget by its size, then read into one
    /// array (ASP.NET spooled it to disk) and checked; the lease is the caller's to dispose once the photo is done.
    /// </summary>
    public static async Task<(GatedImage, IDisposable?)> OpenFileAsync(IFormFile file, ImageGate gate, CancellationToken cancellationToken)
    {
        if (file.Length > gate.Limits.MaxImageBytes)
        {
            throw Errors.ApiProblemException.TooLarge($"'{file.FileName}' has {file.Length} bytes; at most {gate.Limits.MaxImageBytes} are accepted");
        }

        var lease = await gate.AdmitAsync(file.Length, json: false, cancellationToken);
        try
        {
            var bytes = GC.AllocateUninitializedArray<byte>((int)file.Length);
            await using var stream = file.OpenReadStream();
            await stream.ReadExactlyAsync(bytes, cancellationToken);
            return (gate.Check(bytes), lease);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads the photos and fields of <paramref name="request"/> once its photo bytes fit the gateway's in-flight budget
    /// (<see cref="ImageGate.AdmitAsync"/>), held until the response is done. JSON bodies stream (<see cref="JsonPhotoBody"/>);
    /// multipart files are spooled to disk by ASP.NET Core above 64 KB and read once into their final array.
    /// </summary>
    public static async Task<PhotoRequest> ReadAsync(HttpRequest request, ImageGate gate)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(gate);
        var maxImageBytes = gate.Limits.MaxImageBytes;
        var aborted = request.HttpContext.RequestAborted;
        var fields = request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var images = new Dictionary<string, byte[]>(StringComparer.OrdinalIgnoreCase);
        var json = request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true;
        if (!request.HasFormContentType && !json)
        {
            throw Errors.ApiProblemException.Unsupported(
                "send the photo as multipart/form-data (field 'image') or as JSON {\"image\": \"<base64>\"}");
        }

        if (json && request.ContentLength > gate.MaxJsonBodyBytes)
        {
            throw Errors.ApiProblemException.TooLarge(
                $"the JSON body has {request.ContentLength} bytes; photos of at most {maxImageBytes} bytes in base64 need at most {gate.MaxJsonBodyBytes}");
        }

        request.HttpContext.Response.RegisterForDispose(await gate.AdmitAsync(request.ContentLength, json, aborted));
        if (json)
        {
            var (jsonFields, jsonImages) = await JsonPhotoBody.ReadAsync(request.Body, ImageFields, maxImageBytes, aborted);
            foreach (var (key, value) in jsonFields)
            {
                fields[key] = value;
            }

            foreach (var (key, value) in jsonImages)
            {
                images[key] = value;
            }

            return new PhotoRequest(fields, images);
        }

        var form = await request.ReadFormAsync(aborted);
        foreach (var (key, value) in form)
        {
            fields[key] = value.ToString();
        }

        foreach (var file in form.Files)
        {
            if (file.Length > maxImageBytes)
            {
                throw Errors.ApiProblemException.TooLarge($"'{file.FileName}' has {file.Length} bytes; at most {maxImageBytes} are accepted");
            }

            var bytes = GC.AllocateUninitializedArray<byte>((int)file.Length);
            await using var stream = file.OpenReadStream();
            await stream.ReadExactlyAsync(bytes, aborted);
            images[file.Name] = bytes;
        }

        return new PhotoRequest(fields, images);
    }
}
