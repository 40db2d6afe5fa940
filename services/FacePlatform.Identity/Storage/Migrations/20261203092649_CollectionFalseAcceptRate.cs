using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace FacePlatform.Identity.Storage.Migrations
{
    /// <summary>
    /// A collection's chosen per-search false-accept rate (<c>collections.FalseAcceptRate</c>, null = the platform's
    /// default), from which the gateway derives its default search threshold (docs/accuracy.md, "Open set"). Made by
    /// <c>dotnet ef migrations add</c>.
    /// </summary>
    public partial class CollectionFalseAcceptRate : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<double>(
                name: "FalseAcceptRate",
                table: "collections",
                type: "double precision",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "FalseAcceptRate",
                table: "collections");
        }
    }
}
