using System.Collections;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FacePlatform.Contracts.Face.V1;
using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Contracts.V1;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Xunit.Abstractions;

namespace FacePlatform.ReliabilityTests;

/// <summary>
/// No input gives a 5xx: malformed values (NUL, lone surrogates, huge strings, wrong JSON types, negative, huge and
/// non-finite numbers, bad ids and page tokens, wrong content types, empty and broken bodies) go to every REST operation
/// the running gateway's OpenAPI document lists and to every method of <c>faceplatform.face.v1.FaceService</c>, enumerated
/// from its descriptor with messages built through protobuf reflection, so operations added later are fuzzed too.
/// The cases are generated from a fixed seed; the counts go to the test output and to <c>.data/reliability/fuzz.json</c>.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class FuzzTests(ReliabilityPlatform platform, ITestOutputHelper output)
{
    private const int Seed = 20261203;

    /// <summary>gRPC statuses that mean the server, not the input, failed (the gRPC side of a 5xx).</summary>
    private static readonly HashSet<StatusCode> ServerFailures =
    [
        StatusCode.Internal, StatusCode.Unknown, StatusCode.DataLoss, StatusCode.Unavailable, StatusCode.DeadlineExceeded,
        StatusCode.Unimplemented,
    ];

    private readonly Random _random = new(Seed);
    private readonly List<string> _failures = [];
    private int _restSent;
    private int _grpcSent;
    private int _throttled;

    [Fact]
    public async Task No_malformed_request_to_any_REST_operation_or_gRPC_method_gets_a_server_error()
    {
        var clock = Stopwatch.StartNew();
        var (tenantId, key) = await platform.NewTenantAsync();
        var ids = await MakeTargetsAsync(tenantId, key);

        var operations = await RestOperationsAsync();
        Assert.True(operations.Count >= 15, $"the OpenAPI document lists only {operations.Count} operations");
        // Deletes last, so that the targets the other operations aim at still exist while they are fuzzed.
        foreach (var operation in operations.OrderBy(o => o.Method == "DELETE"))
        {
            await FuzzRestAsync(operation, ids, operation.Path.StartsWith("/v1/admin", StringComparison.Ordinal) ? platform.AdminKey : key);
        }

        var face = new GrpcTarget(FaceService.Descriptor, platform.Channel.CreateCallInvoker(), () => PlatformFixture.WithKey(key), Raw: true);
        var methods = FaceService.Descriptor.Methods;
        foreach (var method in methods.OrderBy(m => m.Name.StartsWith("Delete", StringComparison.Ordinal)))
        {
            await FuzzGrpcAsync(face, method, ids);
        }

        var counts = new
        {
            date = DateTimeOffset.UtcNow.ToString("u", CultureInfo.InvariantCulture),
            seed = Seed,
            restOperations = operations.Count,
            grpcMethods = methods.Count,
            restRequests = _restSent,
            grpcCalls = _grpcSent,
            throttledAndRetried = _throttled,
            serverErrors = _failures.Count,
            seconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
        };
        var summary = JsonSerializer.Serialize(counts);
        output.WriteLine(summary);
        var folder = Path.Combine(RepositoryPaths.Root, ".data", "reliability");
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "fuzz.json"), summary + Environment.NewLine);
        foreach (var failure in _failures.Take(50))
        {
            output.WriteLine(failure);
        }

        Assert.True(_failures.Count == 0,
            $"{_failures.Count} of {_restSent + _grpcSent} malformed requests got a server error:\n" + string.Join('\n', _failures.Take(30)));
    }

    // ---- targets: real ids, so that malformed values reach the deeper layers -------------------------------------

    private async Task<Dictionary<string, string>> MakeTargetsAsync(string tenantId, string key)
    {
        var collection = await PostAsync("/v1/collections", key, new { name = "fuzz-" + Guid.NewGuid().ToString("N")[..8] });
        var collectionId = collection.GetProperty("id").GetString()!;
        var subject = await PostAsync($"/v1/collections/{collectionId}/subjects", key, new { externalId = "fuzz-subject", displayName = "Fuzz" });
        var spare = await PostAsync($"/v1/admin/tenants/{tenantId}/keys", platform.AdminKey, new { name = "fuzz-spare", scopes = new[] { "read" } });
        return new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["tenantId"] = tenantId,
            ["collectionId"] = collectionId,
            ["subjectId"] = subject.GetProperty("id").GetString()!,
            ["keyId"] = spare.GetProperty("apiKey").GetProperty("id").GetString()!,
            ["faceId"] = Guid.CreateVersion7().ToString(),
        };
    }

    private async Task<JsonElement> PostAsync(string path, string key, object body)
    {
        using var answer = await platform.Http.SendAsync(PlatformFixture.Request(HttpMethod.Post, path, key, body));
        Assert.True(answer.StatusCode == HttpStatusCode.Created, $"POST {path}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
        return await answer.Content.ReadFromJsonAsync<JsonElement>();
    }

    // ---- REST ----------------------------------------------------------------------------------------------------

    private sealed record RestOperation(string Method, string Path, List<string> PathParameters, List<(string Name, string Type)> Query,
        Dictionary<string, JsonObject> Bodies);

    private async Task<List<RestOperation>> RestOperationsAsync()
    {
        var document = JsonNode.Parse(await platform.Http.GetStringAsync("/openapi/v1.json"))!.AsObject();
        var schemas = document["components"]?["schemas"]?.AsObject();
        var operations = new List<RestOperation>();
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, node) in item!.AsObject())
            {
                if (node is not JsonObject operation || method is "parameters" or "summary" or "description")
                {
                    continue;
                }

                var parameters = (operation["parameters"]?.AsArray() ?? new JsonArray()).OfType<JsonObject>().ToList();
                var bodies = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
                foreach (var (contentType, media) in operation["requestBody"]?["content"]?.AsObject() ?? new JsonObject())
                {
                    bodies[contentType] = Resolve(media?["schema"] as JsonObject, schemas) ?? [];
                }

                operations.Add(new RestOperation(
                    method.ToUpperInvariant(), path,
                    parameters.Where(p => (string?)p["in"] == "path").Select(p => (string)p["name"]!).ToList(),
                    parameters.Where(p => (string?)p["in"] == "query")
                        .Select(p => ((string)p["name"]!, Resolve(p["schema"] as JsonObject, schemas)?["type"]?.ToString() ?? "string")).ToList(),
                    bodies));
            }
        }

        return operations;
    }

    private static JsonObject? Resolve(JsonObject? schema, JsonObject? schemas)
    {
        for (var i = 0; i < 10 && schema?["$ref"]?.GetValue<string>() is { } reference; i++)
        {
            schema = schemas?[reference.Split('/')[^1]] as JsonObject;
        }

        return schema;
    }

    /// <summary>Bad values for a path segment or query value, already escaped for a URL.</summary>
    private static readonly string[] BadUrlValues =
    [
        "%00", "a%00b", "%ED%A0%80", "%C3%28", new string('a', 5000), "-1", "0", "99999999999999999999", "1e309", "NaN",
        "%20", "..", "%2F", Guid.Empty.ToString(), "not-a-guid", "%F0%9F%92%A5", "' OR 1=1 --",
    ];

    /// <summary>Bad JSON values, as raw JSON text, for every kind of property.</summary>
    private static readonly string[] BadJsonValues =
    [
        "null", "\"\"", "\"\\u0000\"", "\"a\\u0000b\"", "\"\\ud800\"", "\"x\\udc00y\"", "\"" + new string('x', 100_000) + "\"",
        "-1", "0", "-2147483649", "2147483648", "9223372036854775808", "1e309", "-1e309", "0.5", "1e-400", "true",
        "[]", "[null]", "{}", "{\"\\u0000\":1}", "{\"a\":\"\\ud800\"}", "{\"a\":1e309}", Nest("[", "]", 200), Nest("{\"a\":", "}", 120),
        "\"NaN\"", "\"Infinity\"", "\"!!not base64!!\"", "\"data:image/png;base64,AAAA\"",
    ];

    private static string Nest(string open, string close, int depth) =>
        string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth));

    private async Task FuzzRestAsync(RestOperation operation, Dictionary<string, string> ids, string key)
    {
        string PathWith(string? parameter, string? value)
        {
            var path = operation.Path;
            foreach (var name in operation.PathParameters)
            {
                var replacement = name == parameter ? value! : ids.GetValueOrDefault(name, Guid.CreateVersion7().ToString());
                path = path.Replace("{" + name + "}", replacement, StringComparison.Ordinal);
            }

            return path;
        }

        var validPath = PathWith(null, null);
        var validBody = operation.Bodies.TryGetValue("application/json", out var jsonSchema) ? ValidJson(jsonSchema) : null;
        foreach (var parameter in operation.PathParameters)
        {
            foreach (var bad in BadUrlValues)
            {
                await SendRestAsync(operation.Method, PathWith(parameter, bad), key, validBody, "application/json");
            }
        }

        foreach (var (name, _) in operation.Query)
        {
            foreach (var bad in BadUrlValues)
            {
                await SendRestAsync(operation.Method, $"{validPath}?{name}={bad}", key, validBody, "application/json");
            }

            await SendRestAsync(operation.Method, $"{validPath}?{name}=1&{name}=2", key, validBody, "application/json");
        }

        if (jsonSchema is not null)
        {
            foreach (var property in Properties(jsonSchema))
            {
                foreach (var bad in BadJsonValues)
                {
                    var body = new Dictionary<string, string>(validBody!) { [property] = bad };
                    await SendRestAsync(operation.Method, validPath, key, body, "application/json");
                }
            }
        }

        if (operation.Bodies.TryGetValue("multipart/form-data", out var formSchema))
        {
            foreach (var property in Properties(formSchema))
            {
                foreach (var bad in new[] { "", "\0", "\ud800", new string('x', 100_000), "-1", "1e309", "NaN", "%00" })
                {
                    await SendFormAsync(operation.Method, validPath, key, formSchema, property, Encoding.UTF8.GetBytes(bad));
                }

                await SendFormAsync(operation.Method, validPath, key, formSchema, property, RandomBytes(64));
                await SendFormAsync(operation.Method, validPath, key, formSchema, property, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
            }
        }

        // Whole bodies that are not what the operation reads, with every content type.
        var rawBodies = new (string? Body, string ContentType)[]
        {
            (string.Empty, "application/json"), ("null", "application/json"), ("[]", "application/json"), ("{", "application/json"),
            ("\"\\u0000\"", "application/json"), ("{}", "text/plain"), ("<a/>", "application/xml"), ("a=b", "application/x-www-form-urlencoded"),
            ("--x\r\n", "multipart/form-data; boundary=x"), ("--x\r\n", "multipart/form-data"), (null, "application/json"),
            (Nest("[", "]", 5000), "application/json"),
        };
        foreach (var (body, contentType) in rawBodies)
        {
            await SendRawAsync(operation.Method, validPath, key, body, contentType);
        }
    }

    private static IEnumerable<string> Properties(JsonObject schema) =>
        (schema["properties"] as JsonObject)?.Select(p => p.Key) ?? [];

    private static Dictionary<string, string> ValidJson(JsonObject schema)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, property) in (schema["properties"] as JsonObject) ?? new JsonObject())
        {
            var type = property?["type"]?.ToJsonString() ?? "\"string\"";
            values[name] = name switch
            {
                "name" => "\"fuzz-" + Guid.NewGuid().ToString("N")[..8] + "\"",
                "scopes" => "[\"read\"]",
                "metadata" => "{\"k\":\"v\"}",
                _ when type.Contains("integer", StringComparison.Ordinal) => "1",
                _ when type.Contains("number", StringComparison.Ordinal) => "0.5",
                _ when type.Contains("boolean", StringComparison.Ordinal) => "true",
                _ when type.Contains("array", StringComparison.Ordinal) => "[]",
                _ when type.Contains("object", StringComparison.Ordinal) => "{}",
                _ => "\"fuzz\"",
            };
        }

        return values;
    }

    private Task SendRestAsync(string method, string path, string key, Dictionary<string, string>? body, string contentType) =>
        SendRawAsync(method, path, key,
            body is null ? null : "{" + string.Join(',', body.Select(p => JsonSerializer.Serialize(p.Key) + ":" + p.Value)) + "}", contentType);

    private Task SendRawAsync(string method, string path, string key, string? body, string contentType) =>
        SendAsync(method, path, () =>
        {
            var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
            request.Headers.Add("X-Api-Key", key);
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8);
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            }

            return request;
        });

    private Task SendFormAsync(string method, string path, string key, JsonObject schema, string badField, byte[] badValue) =>
        SendAsync(method, path, () =>
        {
            var form = new MultipartFormDataContent();
            foreach (var (name, property) in (schema["properties"] as JsonObject) ?? new JsonObject())
            {
                var isFile = (string?)property?["format"] == "binary";
                var bytes = name == badField ? badValue : isFile ? RandomBytes(32) : "1"u8.ToArray();
                var part = new ByteArrayContent(bytes);
                if (isFile)
                {
                    form.Add(part, name, "photo.jpg");
                }
                else
                {
                    form.Add(part, name);
                }
            }

            var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative)) { Content = form };
            request.Headers.Add("X-Api-Key", key);
            return request;
        });

    private async Task SendAsync(string method, string path, Func<HttpRequestMessage> build)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var request = build();
            using var answer = await platform.Http.SendAsync(request);
            _restSent++;
            if (answer.StatusCode == HttpStatusCode.TooManyRequests && attempt < 10)
            {
                _throttled++;
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(5, answer.Headers.RetryAfter?.Delta?.TotalSeconds ?? 1)));
                continue;
            }

            if ((int)answer.StatusCode >= 500)
            {
                var text = await answer.Content.ReadAsStringAsync();
                _failures.Add($"{method} {Shorten(path)} → {(int)answer.StatusCode} {Shorten(text)}");
            }

            return;
        }
    }

    // ---- gRPC ----------------------------------------------------------------------------------------------------

    /// <summary>
    /// Identity, embedding and attributes take calls from the gateway's certificate only (mutual TLS), and the gateway
    /// sends them messages its own code built; what a client controls are the values in them. So every method of the
    /// three internal services gets the same malformed values, called with the gateway's certificate, and must answer
    /// with a client status. Raw bytes that are no message at all are left out here: no caller the services accept can
    /// send them (the public FaceService, which any client reaches, gets those too).
    /// </summary>
    [Fact]
    public async Task No_malformed_value_in_any_internal_gRPC_method_gets_a_server_error()
    {
        var (tenantId, key) = await platform.NewTenantAsync();
        var ids = await MakeTargetsAsync(tenantId, key);
        var services = new (ServiceDescriptor Descriptor, ServiceProcess Process)[]
        {
            (IdentityService.Descriptor, platform.Identity),
            (EmbeddingService.Descriptor, platform.Services.Single(s => s.Name == "Embedding")),
            (AttributesService.Descriptor, platform.Attributes),
        };

        var methods = 0;
        foreach (var (descriptor, process) in services)
        {
            using var channel = PlatformFixture.InternalChannel(process);
            var target = new GrpcTarget(descriptor, channel.CreateCallInvoker(),
                () => new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)), Raw: false);
            // Tenant and key deletions last: the other methods aim at the tenant and its collection while they are fuzzed.
            foreach (var method in descriptor.Methods.OrderBy(m => m.Name.StartsWith("Delete", StringComparison.Ordinal) || m.Name.StartsWith("Revoke", StringComparison.Ordinal)))
            {
                await FuzzGrpcAsync(target, method, ids);
                methods++;
            }
        }

        output.WriteLine(JsonSerializer.Serialize(new { seed = Seed, internalMethods = methods, grpcCalls = _grpcSent, serverErrors = _failures.Count }));
        Assert.True(methods >= 25, $"only {methods} internal methods were found");
        Assert.True(_failures.Count == 0,
            $"{_failures.Count} of {_grpcSent} malformed internal calls got a server error:\n" + string.Join('\n', _failures.Take(30)));
    }

    /// <summary>A gRPC service to fuzz: its descriptor, how to reach it, and whether it may be sent raw bytes.</summary>
    private sealed record GrpcTarget(ServiceDescriptor Service, CallInvoker Invoker, Func<CallOptions> Options, bool Raw);

    private async Task FuzzGrpcAsync(GrpcTarget target, MethodDescriptor method, Dictionary<string, string> ids)
    {
        var valid = Valid(method.InputType, ids);
        var fields = method.InputType.Fields.InFieldNumberOrder();
        foreach (var field in fields)
        {
            foreach (var (bad, index) in BadValues(field).Select((b, i) => (b, i)))
            {
                var message = Copy(method, valid);
                Set(message, field, bad);
                await CallAsync(target, method, message, $"{field.Name}=#{index} {Describe(bad)}");
            }

            if (target.Raw && field.FieldType == FieldType.String && !field.IsRepeated)
            {
                // Invalid UTF-8 can only be written by hand: the field appended again wins over the valid one.
                await CallAsync(target, method, [.. valid.ToByteArray(), .. RawField(field.FieldNumber, [0xED, 0xA0, 0x80, 0xC3, 0x28])], $"{field.Name}=<invalid UTF-8>");
            }

            if (field.FieldType == FieldType.Message && !field.IsRepeated && !field.IsMap)
            {
                // One level down: each field of the nested message gets its bad values too.
                foreach (var inner in field.MessageType.Fields.InFieldNumberOrder())
                {
                    foreach (var bad in BadValues(inner).Take(6))
                    {
                        var message = Copy(method, valid);
                        var nested = field.Accessor.GetValue(message) as IMessage ?? (IMessage)Activator.CreateInstance(field.MessageType.ClrType)!;
                        Set(nested, inner, bad);
                        field.Accessor.SetValue(message, nested);
                        await CallAsync(target, method, message, $"{field.Name}.{inner.Name}={Describe(bad)}");
                    }
                }
            }
        }

        // Bytes that are not a message of the input type at all.
        foreach (var garbage in target.Raw ? new[] { [0x08], [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F], [0xFF], RandomBytes(17), RandomBytes(300), Array.Empty<byte>() } : [])
        {
            await CallAsync(target, method, garbage, $"<{garbage.Length} raw bytes>");
        }
    }

    private static IMessage Copy(MethodDescriptor method, IMessage message) => method.InputType.Parser.ParseFrom(message.ToByteArray());

    /// <summary>Sends <paramref name="message"/>; a string protobuf refuses to encode (a lone surrogate) goes as invalid UTF-8 instead.</summary>
    private async Task CallAsync(GrpcTarget target, MethodDescriptor method, IMessage message, string what)
    {
        byte[] bytes;
        try
        {
            bytes = message.ToByteArray();
        }
        catch (ArgumentException)
        {
            return;
        }

        if (!target.Raw && !Parses(method, bytes))
        {
            // Deeper than protobuf's recursion limit (a 60-level Struct): no caller an internal service accepts can send
            // it, since the gateway parses every client message itself first (the public fuzz sends it there).
            return;
        }

        await CallAsync(target, method, bytes, what);
    }

    private static bool Parses(MethodDescriptor method, byte[] bytes)
    {
        try
        {
            method.InputType.Parser.ParseFrom(bytes);
            return true;
        }
        catch (InvalidProtocolBufferException)
        {
            return false;
        }
    }

    private IMessage Valid(MessageDescriptor type, Dictionary<string, string> ids)
    {
        var message = (IMessage)Activator.CreateInstance(type.ClrType)!;
        foreach (var field in type.Fields.InFieldNumberOrder())
        {
            if (field.FieldType == FieldType.String && !field.IsRepeated && ids.TryGetValue(field.JsonName, out var id))
            {
                field.Accessor.SetValue(message, id);
            }
            else if (field.FieldType == FieldType.String && !field.IsRepeated && field.Name == "name")
            {
                field.Accessor.SetValue(message, "fuzz-" + Guid.NewGuid().ToString("N")[..8]);
            }
            else if (field.FieldType == FieldType.Message && !field.IsRepeated && field.MessageType.ClrType == typeof(Image))
            {
                field.Accessor.SetValue(message, new Image { Content = ByteString.CopyFrom(RandomBytes(64)) });
            }
        }

        return message;
    }

    private List<object> BadValues(FieldDescriptor field)
    {
        if (field.IsMap)
        {
            return [];
        }

        var values = field.FieldType switch
        {
            FieldType.String => new List<object> { "", "\0", "a\0b", "\ud800", new string('x', 100_000), "-1", "../..", Guid.Empty.ToString() },
            FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => [-1, int.MinValue, int.MaxValue],
            FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => [-1L, long.MinValue, long.MaxValue],
            FieldType.UInt32 or FieldType.Fixed32 => [uint.MaxValue],
            FieldType.UInt64 or FieldType.Fixed64 => [ulong.MaxValue],
            FieldType.Float => [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -1f, 1e30f],
            FieldType.Double => [double.NaN, double.PositiveInfinity, -1d, 1e300],
            FieldType.Bool => [true],
            FieldType.Enum => [999, -5],
            FieldType.Bytes => [ByteString.Empty, ByteString.CopyFrom(RandomBytes(16)), ByteString.CopyFrom(RandomBytes(4096))],
            FieldType.Message => BadMessages(field.MessageType),
            _ => [],
        };
        if (field.IsRepeated && field.FieldType == FieldType.Float)
        {
            values.Add(Enumerable.Repeat(float.NaN, 5000).Cast<object>().ToList());
        }
        else if (field.IsRepeated && field.FieldType == FieldType.String)
        {
            values.Add(Enumerable.Repeat<object>("x", 2000).ToList());
        }

        return values;
    }

    private static List<object> BadMessages(MessageDescriptor type)
    {
        var values = new List<object> { Activator.CreateInstance(type.ClrType)! };
        if (type.ClrType == typeof(Struct))
        {
            var deep = new Struct();
            var current = deep;
            for (var i = 0; i < 60; i++)
            {
                var next = new Struct();
                current.Fields["a"] = Value.ForStruct(next);
                current = next;
            }

            values.Add(deep);
            values.Add(Struct(s => s.Fields["n"] = Value.ForNumber(double.NaN)));
            values.Add(Struct(s => s.Fields["\0"] = Value.ForString("x")));
            values.Add(Struct(s => s.Fields["v"] = Value.ForString("a\0b")));
            values.Add(Struct(s => s.Fields["v"] = Value.ForString("\udc00")));
            values.Add(Struct(s => s.Fields["none"] = new Value()));
            values.Add(Struct(s => s.Fields["big"] = Value.ForString(new string('m', 2 << 20))));
            values.Add(Struct(s =>
            {
                for (var i = 0; i < 5000; i++)
                {
                    s.Fields["k" + i] = Value.ForNumber(i);
                }
            }));
        }
        else if (type.ClrType == typeof(FieldMask))
        {
            values.Add(new FieldMask { Paths = { "\0" } });
            values.Add(new FieldMask { Paths = { "id" } });
            values.Add(new FieldMask { Paths = { "metadata", "display_name", "metadata" } });
        }
        else if (type.ClrType == typeof(PageRequest))
        {
            values.Add(new PageRequest { PageSize = -1 });
            values.Add(new PageRequest { PageSize = int.MaxValue });
            values.Add(new PageRequest { PageToken = "not-a-token" });
            values.Add(new PageRequest { PageToken = "\0" });
            values.Add(new PageRequest { PageToken = Guid.NewGuid().ToString("N") });
        }

        return values;
    }

    private static Struct Struct(Action<Struct> fill)
    {
        var value = new Struct();
        fill(value);
        return value;
    }

    private static void Set(IMessage message, FieldDescriptor field, object value)
    {
        if (field.IsRepeated)
        {
            var list = (IList)field.Accessor.GetValue(message);
            list.Clear();
            foreach (var item in value as IEnumerable<object> ?? [value])
            {
                list.Add(item);
            }

            return;
        }

        field.Accessor.SetValue(message, value);
    }

    private static byte[] RawField(int number, byte[] bytes) =>
        [.. Varint((uint)((number << 3) | 2)), .. Varint((uint)bytes.Length), .. bytes];

    private static IEnumerable<byte> Varint(uint value)
    {
        while (value >= 0x80)
        {
            yield return (byte)(value | 0x80);
            value >>= 7;
        }

        yield return (byte)value;
    }

    private async Task CallAsync(GrpcTarget target, MethodDescriptor method, byte[] request, string what)
    {
        var marshaller = Marshallers.Create(static (byte[] b) => b, static b => b);
        var call = new Method<byte[], byte[]>(MethodType.Unary, target.Service.FullName, method.Name, marshaller, marshaller);
        var invoker = target.Invoker;
        for (var attempt = 0; ; attempt++)
        {
            _grpcSent++;
            try
            {
                await invoker.AsyncUnaryCall(call, null, target.Options(), request);
                return;
            }
            catch (RpcException exception) when (exception.StatusCode == StatusCode.ResourceExhausted && attempt < 10
                && exception.Status.Detail.Contains("retry after", StringComparison.Ordinal))
            {
                _throttled++;
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
            catch (RpcException exception)
            {
                if (ServerFailures.Contains(exception.StatusCode))
                {
                    _failures.Add($"gRPC {target.Service.Name}.{method.Name} {what} → {exception.StatusCode} {Shorten(exception.Status.Detail)}");
                }

                return;
            }
        }
    }

    private byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        _random.NextBytes(bytes);
        return bytes;
    }

    private static string Describe(object value) => value switch
    {
        string text => "\"" + Shorten(text.Replace("\0", "\\0", StringComparison.Ordinal)) + "\"",
        // Not the message's JSON: the formatter refuses the very strings this test sends.
        IMessage message => message.Descriptor.Name,
        IEnumerable<object> list => $"[{list.Count()} items]",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "null",
    };

    private static string Shorten(string text)
    {
        var clean = new string(text.Select(c => char.IsControl(c) || char.IsSurrogate(c) ? '?' : c).ToArray());
        return clean.Length <= 160 ? clean : clean[..160] + "…";
    }
}
