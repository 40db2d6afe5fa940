using FacePlatform.Contracts.Internal.V1;
using FacePlatform.Identity.Validation;
using FacePlatform.ServiceDefaults.Errors;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace FacePlatform.Identity.Tests;

public sealed class RequestValidationTests
{
    private static readonly StoreLimits Limits = new(Options.Create(new StoreLimitsOptions { MaxMetadataBytes = 64, MaxMetadataDepth = 3 }));

    [Theory]
    [InlineData("plain")]
    [InlineData("")]
    [InlineData("emoji 💥 is a surrogate pair")]
    public void Text_without_NUL_or_lone_surrogates_passes(string value) =>
        Assert.Null(RequestText.FindInvalid(new CreateSubjectRequest { ExternalId = value }));

    // The code unit is put in at run time: a lone surrogate in test data does not survive compilation or serialisation.
    [Theory]
    [InlineData("a", 0, "b", "NUL")]
    [InlineData("", 0xD800, "", "surrogate")]
    [InlineData("x", 0xDC00, "y", "surrogate")]
    [InlineData("💥", 0xD83D, "", "surrogate")]
    [InlineData("", 0xDC00, "💥", "surrogate")]
    public void A_NUL_or_a_lone_surrogate_in_a_field_is_found_and_named(string before, int codeUnit, string after, string problem)
    {
        var found = RequestText.FindInvalid(new CreateSubjectRequest { TenantId = "t", DisplayName = before + (char)codeUnit + after });

        Assert.NotNull(found);
        Assert.Equal("displayName", found.Value.Field);
        Assert.Contains(problem, found.Value.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_NUL_deep_in_metadata_is_found_with_its_path()
    {
        var inner = new Struct { Fields = { ["name"] = Value.ForString("bad\0") } };
        var request = new CreateSubjectRequest { Metadata = new Struct { Fields = { ["list"] = Value.ForList(Value.ForStruct(inner)) } } };

        var found = RequestText.FindInvalid(request);

        Assert.NotNull(found);
        Assert.StartsWith("metadata.fields[\"list\"]", found.Value.Field, StringComparison.Ordinal);
        Assert.EndsWith("stringValue", found.Value.Field, StringComparison.Ordinal);
    }

    [Fact]
    public void A_NUL_in_a_metadata_key_is_found() =>
        Assert.NotNull(RequestText.FindInvalid(new UpdateSubjectRequest { Metadata = new Struct { Fields = { ["a\0"] = Value.ForNumber(1) } } }));

    [Fact]
    public void A_NUL_in_a_repeated_field_is_found() =>
        Assert.NotNull(RequestText.FindInvalid(new UpdateSubjectRequest { UpdateMask = new FieldMask { Paths = { "display_name", "\0" } } }));

    [Fact]
    public void Metadata_within_the_limits_becomes_its_json() =>
        Assert.Equal("{ \"a\": 1 }", Limits.Metadata(new Struct { Fields = { ["a"] = Value.ForNumber(1) } }));

    [Fact]
    public void No_metadata_is_an_empty_object() => Assert.Equal("{}", Limits.Metadata(null));

    [Fact]
    public void Metadata_over_the_byte_limit_is_an_invalid_argument_naming_the_field_and_the_limit()
    {
        var error = Assert.Throws<RpcException>(() => Limits.Metadata(new Struct { Fields = { ["a"] = Value.ForString(new string('x', 100)) } }));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("64 bytes", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("metadata", Assert.Single(RpcErrors.FieldViolations(error)).Field);
    }

    [Fact]
    public void Metadata_nested_deeper_than_the_limit_is_refused()
    {
        var deep = new Struct { Fields = { ["a"] = Value.ForStruct(new Struct { Fields = { ["b"] = Value.ForList(Value.ForList(Value.ForNumber(1))) } }) } };

        var error = Assert.Throws<RpcException>(() => Limits.Metadata(deep));

        Assert.Contains("3 levels", error.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_metadata_number_JSON_cannot_hold_is_refused(double number) =>
        Assert.Equal(StatusCode.InvalidArgument,
            Assert.Throws<RpcException>(() => Limits.Metadata(new Struct { Fields = { ["n"] = Value.ForNumber(number) } })).StatusCode);

    [Fact]
    public void A_metadata_value_with_no_kind_is_refused() =>
        Assert.Equal(StatusCode.InvalidArgument,
            Assert.Throws<RpcException>(() => Limits.Metadata(new Struct { Fields = { ["n"] = new Value() } })).StatusCode);

    [Fact]
    public void A_key_name_over_the_limit_is_an_invalid_argument()
    {
        var error = Assert.Throws<RpcException>(() => Limits.KeyName(new string('k', 101)));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("0–100", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tenant_override_replaces_only_the_quotas_it_sets()
    {
        var tenant = Guid.NewGuid();
        var options = new QuotaOptions { Collections = 10, Faces = 1000 };
        options.Tenants[tenant] = new TenantQuotaOverride { Faces = 5 };

        Assert.Equal(5, options.For(tenant).Faces);
        Assert.Equal(10, options.For(tenant).Collections);
        Assert.Equal(1000, options.For(Guid.NewGuid()).Faces);
    }

    [Fact]
    public void A_listing_page_ends_once_its_metadata_passes_the_budget()
    {
        var subjects = Enumerable.Repeat("{ \"note\": \"" + new string('m', 1000) + "\" }", 10).ToList();

        Assert.Equal(10, ListingBudget.Fit(subjects, budget: 100_000));
        Assert.Equal(4, ListingBudget.Fit(subjects, budget: 9_000));
        Assert.Equal(1, ListingBudget.Fit(subjects, budget: 10));
        Assert.Equal(6, ListingBudget.Fit(new[] { new string('x', 1 << 20) }.Concat(Enumerable.Repeat("{}", 5)).ToList()));
    }
}
