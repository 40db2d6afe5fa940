using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace FacePlatform.Identity.Storage.Migrations
{
    /// <summary>
    /// <c>fp_create_face_partition</c> with <c>m</c> 0 makes a partition without a code index (Identity:HnswM 0): its
    /// collection is searched only by the in-memory scan (Search/CodeScans.cs), and an enrolment no longer pays the
    /// HNSW insert (~5 ms per face here, docs/benchmarks.md). Existing partitions keep their indexes. No model change,
    /// hence no designer file.
    /// </summary>
    [DbContext(typeof(IdentityDbContext))]
    [Migration("20261202010000_OptionalCodeIndex")]
    public partial class OptionalCodeIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder) => migrationBuilder.Sql(Function(optional: true));

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.Sql(Function(optional: false));

        private static string Function(bool optional) => $$"""
            CREATE OR REPLACE FUNCTION fp_create_face_partition(collection uuid, code_bits integer, m integer, ef_construction integer)
            RETURNS void LANGUAGE plpgsql AS $fn$
            DECLARE
              part text := 'faces_' || replace(collection::text, '-', '');
            BEGIN
              EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF faces FOR VALUES IN (%L)', part, collection);
              IF {{(optional ? "m > 0" : "true")}} THEN
                EXECUTE format(
                  'CREATE INDEX IF NOT EXISTS %I ON %I USING hnsw (("Code"::bit(%s)) bit_hamming_ops) WITH (m = %s, ef_construction = %s)',
                  part || '_codes', part, code_bits, m, ef_construction);
              END IF;
            END
            $fn$;
            """;
    }
}
