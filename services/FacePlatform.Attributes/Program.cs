using FacePlatform.Attributes.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddInternalCallerAuthentication("attributes", "gateway");
builder.AddAttributesServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapAttributesEndpoints();

app.Run();
