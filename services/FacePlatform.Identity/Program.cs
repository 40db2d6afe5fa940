using FacePlatform.Identity.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddInternalCallerAuthentication("identity", "gateway");
builder.AddIdentityServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapIdentityEndpoints();

app.Run();
public partial class Program;
