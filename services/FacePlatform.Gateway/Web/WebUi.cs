using Microsoft.Extensions.FileProviders;

namespace FacePlatform.Gateway.Web;

/// <summary>
/// Serves the web UI (services/web, built by Vite) at <c>/</c>. Its files come from <c>Web:Root</c> when set, else
/// from <c>wwwroot</c> beside the gateway (container images copy the build there), else from <c>services/web/dist</c>
/// of the repository the gateway was built in (a local checkout). Without any, the API works and <c>/</c> is 404.
/// </summary>
internal static class WebUi
{
    public static void UseWebUi(this WebApplication app)
    {
        var root = Resolve(app.Configuration["Web:Root"], app.Environment.ContentRootPath);
        if (root is null)
        {
            return;
        }

        var files = new PhysicalFileProvider(root);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
    }

    internal static string? Resolve(string? configured, string contentRoot)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Directory.Exists(configured)
                ? Path.GetFullPath(configured)
                : throw new DirectoryNotFoundException($"Web:Root '{configured}' does not exist");
        }

        var beside = Path.Combine(contentRoot, "wwwroot");
        if (File.Exists(Path.Combine(beside, "index.html")))
        {
            return beside;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FacePlatform.sln")))
            {
                var dist = Path.Combine(dir.FullName, "services", "web", "dist");
                return File.Exists(Path.Combine(dist, "index.html")) ? dist : null;
            }
        }

        return null;
    }
}
