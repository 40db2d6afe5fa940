namespace FacePlatform.Vision.Imaging;

/// <summary>Why an image was refused.</summary>
public enum ImageErrorCode
{
    /// <summary>No bytes.</summary>
    Empty,

    /// <summary>More bytes than <see cref="ImageLimits.MaxBytes"/>.</summary>
    TooManyBytes,

    /// <summary>The header declares more pixels than <see cref="ImageLimits.MaxPixels"/>.</summary>
    TooManyPixels,

    /// <summary>Not one of JPEG, PNG, WebP, BMP, GIF (or ICO).</summary>
    UnsupportedFormat,

    /// <summary>The format is known but the data is broken or truncated.</summary>
    Corrupt,
}

/// <summary>An image the decoder refused; <see cref="Code"/> says why.</summary>
public sealed class ImageRejectedException : Exception
{
    public ImageRejectedException()
    {
    }

    public ImageRejectedException(string message)
        : base(message)
    {
    }

    public ImageRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ImageRejectedException(ImageErrorCode code, string message)
        : base(message) => Code = code;

    /// <summary>Why the image was refused.</summary>
    public ImageErrorCode Code { get; } = ImageErrorCode.Corrupt;

    /// <summary>The code as snake_case text, as <c>facectl analyze --json</c> and error details print it.</summary>
    public string CodeText => Code switch
    {
        ImageErrorCode.Empty => "empty",
        ImageErrorCode.TooManyBytes => "too_many_bytes",
        ImageErrorCode.TooManyPixels => "too_many_pixels",
        ImageErrorCode.UnsupportedFormat => "unsupported_format",
        _ => "corrupt",
    };
}
