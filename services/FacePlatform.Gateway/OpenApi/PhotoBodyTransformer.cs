using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace FacePlatform.Gateway.OpenApi;

/// <summary>One field of a photo request body: a file (photo) or a plain value.</summary>
internal sealed record PhotoField(string Name, string Description, bool IsFile = false, bool Required = false, JsonSchemaType Type = JsonSchemaType.String);

/// <summary>
/// Endpoint metadata describing a body read by <see cref="Imaging.PhotoRequest"/> (multipart or JSON with base64).
/// It documents the body without constraining routing by content type, as <c>Accepts</c> would — a request with a
/// wrong or missing content type must reach the endpoint and get a problem that says what was wrong.
/// </summary>
internal sealed record PhotoBody(params PhotoField[] Fields);

/// <summary>Writes the request body of endpoints carrying <see cref="PhotoBody"/> into the OpenAPI document.</summary>
internal sealed class PhotoBodyTransformer : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<PhotoBody>().FirstOrDefault() is not { } body)
        {
            return Task.CompletedTask;
        }

        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["multipart/form-data"] = new() { Schema = Schema(body, files: true) },
                ["application/json"] = new() { Schema = Schema(body, files: false) },
            },
        };
        return Task.CompletedTask;
    }

    private static OpenApiSchema Schema(PhotoBody body, bool files)
    {
        var schema = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Properties = new Dictionary<string, IOpenApiSchema>(),
            Required = new HashSet<string>(body.Fields.Where(f => f.Required).Select(f => f.Name)),
        };
        foreach (var field in body.Fields)
        {
            schema.Properties[field.Name] = field.IsFile
                ? new OpenApiSchema
                {
                    Type = JsonSchemaType.String,
                    Format = files ? "binary" : "byte",
                    Description = field.Description + (files ? string.Empty : " (base64; a data: URL is accepted)"),
                }
                : new OpenApiSchema { Type = field.Type, Description = field.Description };
        }

        if (!files)
        {
            schema.Examples = [JsonNode.Parse("""{"image": "/9j/4AAQSkZJRgABAQ..."}""")!];
        }

        return schema;
    }
}
