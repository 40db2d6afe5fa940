using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace FacePlatform.Identity.Storage.Migrations
{
    /// <summary>
    /// Each face records the transaction that wrote it, so the in-memory copy of a collection's codes
    /// (Search/CodeScans.cs) can catch up with a change by reading only the faces written since its last read, not the
    /// whole collection. Faces stored before keep 0: a first read takes every face anyway. The index carries the ids and
    /// codes, so a read of a collection's codes is an index-only scan that does not read the 2 KB embeddings beside them
    /// in the heap: 1M codes from a cold cache in 1.4 s instead of 50 s (~210 MB of index against 2.8 GB of table,
    /// docs/benchmarks.md). No model change (faces is outside EF Core's migrations), hence no designer file.
    /// </summary>
    [DbContext(typeof(IdentityDbContext))]
    [Migration("20261201190000_FaceWriteXid")]
    public partial class FaceWriteXid : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                ALTER TABLE faces ADD COLUMN "Xid" bigint NOT NULL DEFAULT 0;
                ALTER TABLE faces ALTER COLUMN "Xid" SET DEFAULT (pg_current_xact_id()::text::bigint);
                CREATE INDEX "IX_faces_CollectionId_Xid" ON faces ("CollectionId", "Xid") INCLUDE ("Id", "Code");
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP INDEX "IX_faces_CollectionId_Xid";
                ALTER TABLE faces DROP COLUMN "Xid";
                """);
        }
    }
}
