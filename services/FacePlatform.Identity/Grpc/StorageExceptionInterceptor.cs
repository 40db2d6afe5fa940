using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace FacePlatform.Identity.Grpc;

/// <summary>
/// Turns storage failures into gRPC statuses that mean what they say: PostgreSQL unreachable is UNAVAILABLE (callers
/// may retry), a unique-key clash is ALREADY_EXISTS, a reference to a row that does not exist (a foreign key: a tenant id
/// no tenant has) is NOT_FOUND. Every other exception stays INTERNAL.
/// </summary>
internal sealed partial class StorageExceptionInterceptor(NpgsqlDataSource dataSource, ILogger<StorageExceptionInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request,
        ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (DbUpdateException exception) when (exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } unique)
        {
            throw new RpcException(new Status(StatusCode.AlreadyExists, Describe(unique)));
        }
        catch (Exception exception) when (ForeignKey(exception) is { } missing)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"the {missing} this request names does not exist"));
        }
        catch (Exception exception) when (IsUnavailable(exception))
        {
            LogUnavailable(logger, context.Method, exception.Message);
            // After a PostgreSQL restart every idle pooled connection is dead: drop them all now rather than fail one
            // call per connection. The next call opens a fresh one, so the service recovers without a restart.
            dataSource.Clear();
            throw new RpcException(new Status(StatusCode.Unavailable, "the identity database is unavailable; retry later"));
        }
    }

    private static bool IsUnavailable(Exception exception) => exception switch
    {
        NpgsqlException { IsTransient: true } => true,
        PostgresException { SqlState: PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CannotConnectNow } => true,
        TimeoutException => true,
        InvalidOperationException { InnerException: { } inner } => IsUnavailable(inner),
        DbUpdateException { InnerException: { } inner } => IsUnavailable(inner),
        _ => false,
    };

    /// <summary>What a foreign-key violation found missing ("tenant", "collection", …); null for any other exception.</summary>
    private static string? ForeignKey(Exception exception) => exception switch
    {
        PostgresException { SqlState: PostgresErrorCodes.ForeignKeyViolation } violation => violation.ConstraintName switch
        {
            { } name when name.Contains("_tenants_", StringComparison.Ordinal) => "tenant",
            { } name when name.Contains("_collections_", StringComparison.Ordinal) => "collection",
            { } name when name.Contains("_subjects_", StringComparison.Ordinal) => "subject",
            _ => "resource",
        },
        DbUpdateException { InnerException: { } inner } => ForeignKey(inner),
        InvalidOperationException { InnerException: { } inner } => ForeignKey(inner),
        _ => null,
    };

    private static string Describe(PostgresException unique) => unique.ConstraintName switch
    {
        { } name when name.Contains("collections", StringComparison.Ordinal) => "a collection with this name already exists",
        { } name when name.Contains("subjects", StringComparison.Ordinal) => "a subject with this external id already exists in the collection",
        { } name when name.Contains("tenants", StringComparison.Ordinal) => "a tenant with this name already exists",
        _ => "the resource already exists",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} failed: database unavailable ({Reason})")]
    private static partial void LogUnavailable(ILogger logger, string method, string reason);
}
