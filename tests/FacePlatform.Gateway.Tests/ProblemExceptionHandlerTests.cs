using System.Text.Json;
using FacePlatform.Gateway.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace FacePlatform.Gateway.Tests;

public sealed class ProblemExceptionHandlerTests
{
    [Fact]
    public async Task A_full_heap_is_a_429_to_retry_not_a_500()
    {
        var (context, body) = Context();

        // What the runtime throws when the GC heap's hard limit refuses an allocation (CA2201 forbids making it with new).
        var full = Assert.Throws<OutOfMemoryException>(() => GC.AllocateUninitializedArray<byte>(int.MaxValue));

        var handled = await Handler(context).TryHandleAsync(context, full, CancellationToken.None);

        Assert.True(handled);
        Assert.Equal(StatusCodes.Status429TooManyRequests, context.Response.StatusCode);
        Assert.Equal("1", context.Response.Headers.RetryAfter.ToString());
        Assert.Contains("retry", Problem(body).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unexpected_failure_is_a_500_without_its_internals()
    {
        var (context, body) = Context();

        await Handler(context).TryHandleAsync(context, new InvalidOperationException("secret internals"), CancellationToken.None);

        Assert.Equal(StatusCodes.Status500InternalServerError, context.Response.StatusCode);
        Assert.DoesNotContain("secret", Problem(body).GetRawText(), StringComparison.Ordinal);
    }

    private static ProblemExceptionHandler Handler(HttpContext context) =>
        new(context.RequestServices.GetRequiredService<IProblemDetailsService>(), NullLogger<ProblemExceptionHandler>.Instance);

    private static (HttpContext Context, MemoryStream Body) Context()
    {
        var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var body = new MemoryStream();
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.Path = "/v1/analyze";
        context.Request.Headers.Accept = "application/json";
        context.Response.Body = body;
        return (context, body);
    }

    private static JsonElement Problem(MemoryStream body) => JsonDocument.Parse(body.ToArray()).RootElement;
}
