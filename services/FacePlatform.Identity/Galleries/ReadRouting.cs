using FacePlatform.Identity.Storage;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace FacePlatform.Identity.Galleries;

/// <summary>Chooses the database each read goes to.</summary>
internal sealed class ReadRouting(GalleryStore primary, NpgsqlDataSource primarySource)
{
    /// <summary>The primary, for reads that must see every committed write.</summary>
    public ReadTarget Primary { get; } = new(primary, false, Options(primarySource));

    /// <summary>The database a read of <paramref name="scope"/> (a collection, or a tenant for its collection list) goes to.</summary>
    public Task<ReadTarget> ForReadAsync(Guid scope, CancellationToken cancellationToken) => Task.FromResult(Primary);

    /// <summary>Records that a write to these scopes (tenant, collections) committed, for the writer's next reads.</summary>
    public static Task WroteAsync(IReadOnlyCollection<Guid> scopes, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>EF Core options on a data source (pgvector mapped, as the service's own context has it).</summary>
    public static DbContextOptions<IdentityDbContext> Options(NpgsqlDataSource source) =>
        new DbContextOptionsBuilder<IdentityDbContext>().UseNpgsql(source, npgsql => npgsql.UseVector()).Options;
}
