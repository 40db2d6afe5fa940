using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace FacePlatform.Identity.Storage.Migrations
{
    /// <summary>
    /// A collection's named inference profile (<c>collections.Profile</c>, null = the platform's default), used by
    /// requests on the collection that name none (docs/benchmarks.md, "Profiles"). Made by <c>dotnet ef migrations add</c>.
    /// </summary>
    public partial class CollectionProfile : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Profile",
                table: "collections",
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Profile",
                table: "collections");
        }
    }
}
