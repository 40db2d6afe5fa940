using FacePlatform.Embedding.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddInternalCallerAuthentication("embedding", "gateway");
builder.AddEmbeddingServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapEmbeddingEndpoints();

app.Run();
