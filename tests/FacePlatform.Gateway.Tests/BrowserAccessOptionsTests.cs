using FacePlatform.Gateway.Web;

namespace FacePlatform.Gateway.Tests;

public sealed class BrowserAccessOptionsTests
{
    [Fact]
    public void No_origin_is_allowed_by_default() => Assert.Empty(new BrowserAccessOptions().AllowedOrigins);

    [Theory]
    [InlineData("https://app.example.com")]
    [InlineData("http://localhost:5173")]
    [InlineData("https://app.example.com/")]
    public void A_bare_origin_is_accepted(string origin) =>
        Assert.Empty(new BrowserAccessOptions { AllowedOrigins = [origin] }.Invalid());

    [Theory]
    [InlineData("*")]
    [InlineData("https://app.example.com/page")]
    [InlineData("app.example.com")]
    [InlineData("ftp://files.example.com")]
    public void Anything_but_a_bare_http_origin_is_refused(string origin) =>
        Assert.Equal(origin, Assert.Single(new BrowserAccessOptions { AllowedOrigins = ["https://ok.example.com", origin] }.Invalid()));
}
