using FacePlatform.Gateway.Errors;
using FacePlatform.Gateway.Faces;
using FacePlatform.Gateway.Imaging;
using FacePlatform.Gateway.Web;
using FacePlatform.Testing;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace FacePlatform.Gateway.Tests;

public sealed class PhotoGateTests
{
    private static readonly string Formats = Path.Combine(RepositoryPaths.SharedData, "faces", "compreface", "formats");

    // A valid 69-byte PNG whose header claims 20000 × 20000 pixels.
    private static readonly byte[] Bomb = PixelBomb.Png(20_000, 20_000);

    private static ImageGate Gate(long maxBytes = 20 * 1024 * 1024, long maxPixels = 40_000_000) =>
        new(Options.Create(new ImageLimitsOptions { MaxImageBytes = maxBytes, MaxImagePixels = maxPixels }));

    [Theory]
    [InlineData("einstein.jpeg", "jpeg")]
    [InlineData("einstein.png", "png")]
    [InlineData("einstein.webp", "webp")]
    [InlineData("einstein.bmp", "bmp")]
    [InlineData("einstein.gif", "gif")]
    public void Supported_formats_pass_with_their_size(string file, string format)
    {
        var image = Gate().Check(File.ReadAllBytes(Path.Combine(Formats, file)));

        Assert.Equal(format, image.Format);
        Assert.True(image.Width > 0 && image.Height > 0);
    }

    [Theory]
    [InlineData("einstein.tiff")]
    [InlineData("einstein.ico")]
    public void Other_formats_are_415(string file)
    {
        var refused = Assert.Throws<ApiProblemException>(() => Gate().Check(File.ReadAllBytes(Path.Combine(Formats, file))));

        Assert.Equal(StatusCodes.Status415UnsupportedMediaType, refused.HttpStatus);
    }

    [Fact]
    public void Text_is_415_and_nothing_is_400()
    {
        var text = Assert.Throws<ApiProblemException>(() => Gate().Check("not a photo"u8.ToArray()));
        var empty = Assert.Throws<ApiProblemException>(() => Gate().Check([]));

        Assert.Equal(StatusCodes.Status415UnsupportedMediaType, text.HttpStatus);
        Assert.Equal(StatusCodes.Status400BadRequest, empty.HttpStatus);
    }

    [Fact]
    public void A_header_claiming_400_megapixels_is_413_without_decoding()
    {
        var refused = Assert.Throws<ApiProblemException>(() => Gate().Check(Bomb));

        Assert.Equal(StatusCodes.Status413PayloadTooLarge, refused.HttpStatus);
        Assert.Contains("20000×20000", refused.Message, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, refused.GrpcStatus);
    }

    [Fact]
    public void Bytes_over_the_limit_are_413()
    {
        var refused = Assert.Throws<ApiProblemException>(() => Gate(maxBytes: 1024).Check(new byte[2048]));

        Assert.Equal(StatusCodes.Status413PayloadTooLarge, refused.HttpStatus);
    }

    [Fact]
    public void Analyse_options_read_include_lists_and_refuse_unknown_parts()
    {
        var options = AnalyzeOptions.Create(" ", ["Landmarks, embeddings"], 3, 20);
        var unknown = Assert.Throws<ApiProblemException>(() => AnalyzeOptions.Create(null, ["everything"], 0, 0));
        var negative = Assert.Throws<ApiProblemException>(() => AnalyzeOptions.Create(null, [], -1, 0));

        Assert.Null(options.CollectionId);
        Assert.True(options.WantsLandmarks && options.WantsEmbeddings);
        Assert.Contains("everything", unknown.Message, StringComparison.Ordinal);
        Assert.Equal(StatusCodes.Status400BadRequest, negative.HttpStatus);
    }

    [Fact]
    public void Cosine_similarity_of_unit_vectors_and_of_mismatched_models()
    {
        float[] a = [0.6f, 0.8f, 0f];
        float[] b = [0.6f, 0.8f, 0f];
        float[] c = [0f, 0f, 1f];

        Assert.Equal(1f, Similarity.Cosine(a, b), 5);
        Assert.Equal(0f, Similarity.Cosine(a, c), 5);
        Assert.Throws<ApiProblemException>(() => Similarity.Cosine(a, [1f, 0f]));
    }

    [Fact]
    public void The_web_root_is_the_configured_folder_and_a_missing_one_is_an_error()
    {
        var folder = Directory.CreateTempSubdirectory().FullName;

        Assert.Equal(folder, WebUi.Resolve(folder, "/nowhere"));
        Assert.Throws<DirectoryNotFoundException>(() => WebUi.Resolve(Path.Combine(folder, "missing"), "/nowhere"));
    }
}
