using FacePlatform.Testing;
using FacePlatform.Vision.Imaging;

namespace FacePlatform.Vision.Tests;

/// <summary>The cost of a photo is known from its header before a pixel is decoded, and large photos leave no pooled buffer behind.</summary>
public sealed class DecodeCostTests
{
    [Fact]
    public void Opening_a_decompression_bomb_reads_its_cost_without_decoding_it()
    {
        var bomb = HostileInputs.DecompressionBombPng(HostileInputs.BombWidth, HostileInputs.BombHeight);
        Assert.InRange(bomb.Length, 1, 64 * 1024);
        var before = GC.GetAllocatedBytesForCurrentThread();
        using var opened = ImageDecoder.Open(bomb);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal((long)HostileInputs.BombWidth * HostileInputs.BombHeight, opened.Header.Pixels);
        Assert.True(allocated < 1024 * 1024, $"opening allocated {allocated} bytes");
    }

    [Fact]
    public void A_header_over_the_pixel_limit_is_refused_when_opened()
    {
        var error = Assert.Throws<ImageRejectedException>(() => ImageDecoder.Open(PixelBomb.Png(8000, 6000)));
        Assert.Equal(ImageErrorCode.TooManyPixels, error.Code);
        using var fits = ImageDecoder.Open(PixelBomb.Png(8000, 6000), new ImageLimits { MaxPixels = 48_000_000 });
        Assert.Equal(48_000_000, fits.Header.Pixels);
    }

    [Fact]
    public void A_gif_of_many_frames_costs_its_canvas_once_and_decodes_only_the_first_frame()
    {
        var gif = HostileInputs.ManyFrameGif(400, 300, frames: 5000);
        using var opened = ImageDecoder.Open(gif);
        Assert.Equal(400 * 300, opened.Header.Pixels);
        using var image = opened.Decode();
        Assert.Equal((400, 300), (image.Width, image.Height));
        // Frame 0 paints pixel (0, 0) black; the rest of the canvas is transparent, composited over white.
        Assert.Equal([0, 0, 0], image.Pixels[..3].ToArray());
        Assert.Equal([255, 255, 255], image.Pixels.Slice(3 * 401, 3).ToArray());
    }

    [Fact]
    public void Photos_above_the_pool_limit_get_their_own_memory_and_small_ones_the_pool()
    {
        using var crop = RgbImage.Rent(112, 112);
        Assert.False(crop.IsNative);
        using var photo = RgbImage.Rent(1920, 1080);
        Assert.True(photo.IsNative);
        photo.Pixels.Fill(7);
        Assert.Equal(1920 * 1080 * 3, photo.Pixels.Length);
        Assert.Equal(7, photo.Pixels[^1]);
        photo.Dispose();
        Assert.Throws<ObjectDisposedException>(() => photo.Pixels.Length);
    }

    [Fact]
    public void A_decompression_bomb_decodes_into_native_memory_that_is_freed_on_dispose()
    {
        var bomb = HostileInputs.DecompressionBombPng(3000, 2000);
        var pooledBefore = GC.GetTotalMemory(forceFullCollection: true);
        using (var image = ImageDecoder.Decode(bomb))
        {
            Assert.True(image.IsNative);
            Assert.Equal((3000, 2000), (image.Width, image.Height));
            Assert.Equal(0, image.Pixels[^1]);
        }

        // Neither the 24-MB RGBA staging nor the 18-MB result went to the managed heap (or its pool).
        Assert.True(GC.GetTotalMemory(forceFullCollection: true) - pooledBefore < 4 * 1024 * 1024);
    }
}
