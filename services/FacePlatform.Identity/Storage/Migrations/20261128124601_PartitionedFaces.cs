using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace FacePlatform.Identity.Storage.Migrations
{
    /// <inheritdoc />
    public partial class PartitionedFaces : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "FaceCount",
                table: "collections",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "SubjectCount",
                table: "collections",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.CreateIndex(
                name: "IX_subjects_CollectionId_Id",
                table: "subjects",
                columns: new[] { "CollectionId", "Id" });

            // faces becomes LIST-partitioned by collection, one partition per collection with its own HNSW index (see
            // Storage/FacePartitions.cs). The embedding column is a halfvec without a declared dimension; each
            // partition's index casts to its collection's dimension. STORAGE PLAIN keeps 1024-d halfvec rows (2 KB,
            // just over the TOAST threshold) in the heap: an exact scan of 100k rows measured ~250 ms instead of
            // ~445 ms TOASTed, and TOAST would also stop parallel index builds. The old table is dropped, not copied:
            // before this migration no RPC could enrol a face.
            migrationBuilder.Sql("""
                DROP TABLE faces;
                CREATE TABLE faces (
                  "Id" uuid NOT NULL,
                  "TenantId" uuid NOT NULL,
                  "CollectionId" uuid NOT NULL,
                  "SubjectId" uuid NOT NULL,
                  "ModelId" character varying(100) NOT NULL,
                  "Embedding" halfvec NOT NULL,
                  "Quality" real NOT NULL,
                  "BoxX" real NOT NULL,
                  "BoxY" real NOT NULL,
                  "BoxWidth" real NOT NULL,
                  "BoxHeight" real NOT NULL,
                  "ImageSha256" character varying(64) NOT NULL,
                  "RequestId" character varying(200) NULL,
                  "CreatedAt" timestamp with time zone NOT NULL,
                  CONSTRAINT "PK_faces" PRIMARY KEY ("CollectionId", "Id"),
                  CONSTRAINT "FK_faces_subjects_SubjectId" FOREIGN KEY ("SubjectId") REFERENCES subjects ("Id") ON DELETE CASCADE
                ) PARTITION BY LIST ("CollectionId");
                ALTER TABLE faces ALTER COLUMN "Embedding" SET STORAGE PLAIN;
                CREATE INDEX "IX_faces_SubjectId_ImageSha256" ON faces ("SubjectId", "ImageSha256");
                CREATE INDEX "IX_faces_SubjectId_RequestId" ON faces ("SubjectId", "RequestId") WHERE "RequestId" IS NOT NULL;

                CREATE FUNCTION fp_create_face_partition(collection uuid, dimension integer, m integer, ef_construction integer)
                RETURNS void LANGUAGE plpgsql AS $fn$
                DECLARE
                  part text := 'faces_' || replace(collection::text, '-', '');
                BEGIN
                  EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF faces FOR VALUES IN (%L)', part, collection);
                  EXECUTE format(
                    'CREATE INDEX IF NOT EXISTS %I ON %I USING hnsw (("Embedding"::halfvec(%s)) halfvec_cosine_ops) WITH (m = %s, ef_construction = %s)',
                    part || '_hnsw', part, dimension, m, ef_construction);
                END
                $fn$;

                SELECT fp_create_face_partition("Id", "Dimension", 16, 64) FROM collections;
                UPDATE collections c SET "SubjectCount" = (SELECT count(*) FROM subjects s WHERE s."CollectionId" = c."Id");
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TABLE faces;
                DROP FUNCTION fp_create_face_partition(uuid, integer, integer, integer);
                CREATE TABLE faces (
                  "Id" uuid NOT NULL CONSTRAINT "PK_faces" PRIMARY KEY,
                  "TenantId" uuid NOT NULL,
                  "CollectionId" uuid NOT NULL,
                  "SubjectId" uuid NOT NULL CONSTRAINT "FK_faces_subjects_SubjectId" REFERENCES subjects ("Id") ON DELETE CASCADE,
                  "ModelId" character varying(100) NOT NULL,
                  "Embedding" vector(1024) NOT NULL,
                  "Quality" real NOT NULL,
                  "BoxX" real NOT NULL,
                  "BoxY" real NOT NULL,
                  "BoxWidth" real NOT NULL,
                  "BoxHeight" real NOT NULL,
                  "ImageSha256" character varying(64) NOT NULL,
                  "RequestId" character varying(200) NULL,
                  "CreatedAt" timestamp with time zone NOT NULL
                );
                CREATE INDEX "IX_faces_CollectionId" ON faces ("CollectionId");
                CREATE INDEX "IX_faces_SubjectId" ON faces ("SubjectId");
                CREATE INDEX "IX_faces_Embedding" ON faces USING hnsw ("Embedding" vector_cosine_ops) WITH (m = 16, ef_construction = 64);
                """);

            migrationBuilder.DropIndex(
                name: "IX_subjects_CollectionId_Id",
                table: "subjects");

            migrationBuilder.DropColumn(
                name: "FaceCount",
                table: "collections");

            migrationBuilder.DropColumn(
                name: "SubjectCount",
                table: "collections");
        }
    }
}
