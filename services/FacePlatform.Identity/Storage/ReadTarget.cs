using Microsoft.EntityFrameworkCore;

namespace FacePlatform.Identity.Storage;

/// <summary>The database a read goes to: the primary, or the streaming replica when it has replayed what the reader must see.</summary>
/// <param name="Store">Gallery queries on that database.</param>
/// <param name="Replica">Whether it is the replica.</param>
/// <param name="Db">EF Core options on that database (<see cref="Context"/>).</param>
internal sealed record ReadTarget(GalleryStore Store, bool Replica, DbContextOptions<IdentityDbContext> Db)
{
    /// <summary>A new, non-tracking context on this database; the caller disposes it.</summary>
    public IdentityDbContext Context()
    {
        var context = new IdentityDbContext(Db);
        context.ChangeTracker.QueryTrackingBehavior = QueryTrackingBehavior.NoTracking;
        return context;
    }
}
