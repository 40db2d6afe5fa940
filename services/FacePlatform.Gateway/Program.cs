using FacePlatform.Gateway.Extensions;
using FacePlatform.ServiceDefaults.Health;

// The container health check of the chiseled image (compose.yaml): probe the running service, do not start one.
if (HealthProbe.IsRequested(args))
{
    return await HealthProbe.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddGatewayServices();

var app = builder.Build();

app.UseGatewayPipeline();
app.MapDefaultEndpoints();
app.MapGatewayEndpoints();

app.Run();
return 0;
