using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace FacePlatform.Identity.Storage.Migrations
{
    /// <inheritdoc />
    public partial class BinaryCodes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "CodeBits",
                table: "collections",
                type: "integer",
                nullable: false,
                defaultValue: 1024);

            // Search moves from an HNSW index on the halfvec embedding (cosine) to an HNSW index on a SimHash code of
            // each face (Hamming distance) whose candidates are re-ranked by the exact cosine (Search/SimHash.cs,
            // docs/benchmarks.md: at 1M faces the halfvec index took over an hour to build here and searched too
            // slowly). The codes are computed by the service, not in SQL: existing faces get NULL here and the
            // service fills them at start before it reports ready (GalleryStore.BackfillCodesAsync); HNSW leaves NULL
            // rows out and indexes each one as it is filled. The halfvec indexes are dropped, not kept beside the code
            // indexes: each index costs every enrolment an insert, and search no longer uses them.
            migrationBuilder.Sql("""
                ALTER TABLE faces ADD COLUMN "Code" bit varying NULL;
                -- Empty once every face has its code, so the back-fill at each start costs nothing.
                CREATE INDEX "IX_faces_CollectionId_Id_without_code" ON faces ("CollectionId", "Id") WHERE "Code" IS NULL;

                DROP FUNCTION fp_create_face_partition(uuid, integer, integer, integer);
                CREATE FUNCTION fp_create_face_partition(collection uuid, code_bits integer, m integer, ef_construction integer)
                RETURNS void LANGUAGE plpgsql AS $fn$
                DECLARE
                  part text := 'faces_' || replace(collection::text, '-', '');
                BEGIN
                  EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF faces FOR VALUES IN (%L)', part, collection);
                  EXECUTE format(
                    'CREATE INDEX IF NOT EXISTS %I ON %I USING hnsw (("Code"::bit(%s)) bit_hamming_ops) WITH (m = %s, ef_construction = %s)',
                    part || '_codes', part, code_bits, m, ef_construction);
                END
                $fn$;

                DO $do$
                DECLARE
                  c record;
                BEGIN
                  FOR c IN SELECT "Id", "CodeBits" FROM collections LOOP
                    EXECUTE format('DROP INDEX IF EXISTS %I', 'faces_' || replace(c."Id"::text, '-', '') || '_hnsw');
                    PERFORM fp_create_face_partition(c."Id", c."CodeBits", 32, 128);
                  END LOOP;
                END
                $do$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP FUNCTION fp_create_face_partition(uuid, integer, integer, integer);
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

                DO $do$
                DECLARE
                  c record;
                BEGIN
                  FOR c IN SELECT "Id", "Dimension" FROM collections LOOP
                    EXECUTE format('DROP INDEX IF EXISTS %I', 'faces_' || replace(c."Id"::text, '-', '') || '_codes');
                    PERFORM fp_create_face_partition(c."Id", c."Dimension", 32, 128);
                  END LOOP;
                END
                $do$;

                DROP INDEX "IX_faces_CollectionId_Id_without_code";
                ALTER TABLE faces DROP COLUMN "Code";
                """);

            migrationBuilder.DropColumn(
                name: "CodeBits",
                table: "collections");
        }
    }
}
