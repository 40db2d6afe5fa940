using Microsoft.EntityFrameworkCore;

namespace FacePlatform.Identity.Storage;

/// <summary>Tenants, keys and galleries in PostgreSQL with pgvector.</summary>
internal sealed class IdentityDbContext(DbContextOptions<IdentityDbContext> options) : DbContext(options)
{
    /// <summary>
    /// Largest model dimension a collection may declare: pgvector indexes halfvec up to 4000 dimensions, and a
    /// 2048-d halfvec row (4 KB) still fits a page with <c>STORAGE PLAIN</c>.
    /// </summary>
    public const int EmbeddingColumnDimension = 2048;

    public DbSet<TenantEntity> Tenants => Set<TenantEntity>();
    public DbSet<ApiKeyEntity> ApiKeys => Set<ApiKeyEntity>();
    public DbSet<CollectionEntity> Collections => Set<CollectionEntity>();
    public DbSet<SubjectEntity> Subjects => Set<SubjectEntity>();
    public DbSet<FaceEntity> Faces => Set<FaceEntity>();
    public DbSet<AuditEventEntity> AuditEvents => Set<AuditEventEntity>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasPostgresExtension("vector");

        modelBuilder.Entity<TenantEntity>(tenant =>
        {
            tenant.ToTable("tenants");
            tenant.Property(t => t.Name).HasMaxLength(100);
            tenant.HasIndex(t => t.Name).IsUnique();
        });

        modelBuilder.Entity<ApiKeyEntity>(key =>
        {
            key.ToTable("api_keys");
            key.Property(k => k.Name).HasMaxLength(100);
            key.Property(k => k.Prefix).HasMaxLength(16);
            key.HasIndex(k => k.Hash).IsUnique();
            key.HasIndex(k => k.TenantId);
            key.HasOne<TenantEntity>().WithMany().HasForeignKey(k => k.TenantId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<CollectionEntity>(collection =>
        {
            collection.ToTable("collections");
            collection.Property(c => c.Name).HasMaxLength(100);
            collection.Property(c => c.Description).HasMaxLength(1000);
            collection.Property(c => c.ModelId).HasMaxLength(100);
            collection.Property(c => c.Profile).HasMaxLength(32);
            collection.Property(c => c.Version).IsConcurrencyToken();
            collection.HasIndex(c => new { c.TenantId, c.Name }).IsUnique();
            collection.HasOne<TenantEntity>().WithMany().HasForeignKey(c => c.TenantId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<SubjectEntity>(subject =>
        {
            subject.ToTable("subjects");
            subject.Property(s => s.ExternalId).HasMaxLength(200);
            subject.Property(s => s.DisplayName).HasMaxLength(200);
            subject.Property(s => s.Metadata).HasColumnType("jsonb");
            subject.HasIndex(s => new { s.CollectionId, s.ExternalId }).IsUnique();
            // Keyset pages of one collection's subjects.
            subject.HasIndex(s => new { s.CollectionId, s.Id });
            subject.HasOne<CollectionEntity>().WithMany().HasForeignKey(s => s.CollectionId)
                .OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<FaceEntity>(face =>
        {
            // faces is LIST-partitioned by collection (one partition and one HNSW index per collection), which EF Core
            // cannot express: the table comes from raw SQL in the PartitionedFaces and BinaryCodes migrations and FacePartitions.
            face.ToTable("faces", table => table.ExcludeFromMigrations());
            face.HasKey(f => new { f.CollectionId, f.Id });
            face.Property(f => f.ModelId).HasMaxLength(100);
            face.Property(f => f.ImageSha256).HasMaxLength(64);
            face.Property(f => f.RequestId).HasMaxLength(200);
            face.Property(f => f.Embedding).HasColumnType("halfvec");
            face.Property(f => f.Code).HasColumnType("bit varying");
            face.HasOne<SubjectEntity>().WithMany().HasForeignKey(f => f.SubjectId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<AuditEventEntity>(audit =>
        {
            audit.ToTable("audit_events");
            audit.Property(a => a.Action).HasMaxLength(64);
            audit.Property(a => a.Resource).HasMaxLength(300);
            audit.Property(a => a.ClientAddress).HasMaxLength(100);
            audit.Property(a => a.Outcome).HasMaxLength(32);
            // Newest-first keyset pages of one tenant's log.
            audit.HasIndex(a => new { a.TenantId, a.Id });
        });
    }
}
