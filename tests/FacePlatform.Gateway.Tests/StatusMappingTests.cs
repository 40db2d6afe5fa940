using FacePlatform.ServiceDefaults.Errors;
using Grpc.Core;

namespace FacePlatform.Gateway.Tests;

public sealed class StatusMappingTests
{
    [Theory]
    [InlineData(StatusCode.InvalidArgument, 400)]
    [InlineData(StatusCode.Unauthenticated, 401)]
    [InlineData(StatusCode.PermissionDenied, 403)]
    [InlineData(StatusCode.NotFound, 404)]
    [InlineData(StatusCode.AlreadyExists, 409)]
    [InlineData(StatusCode.FailedPrecondition, 422)]
    [InlineData(StatusCode.ResourceExhausted, 429)]
    [InlineData(StatusCode.Unimplemented, 501)]
    [InlineData(StatusCode.Unavailable, 503)]
    [InlineData(StatusCode.DeadlineExceeded, 504)]
    [InlineData(StatusCode.Internal, 500)]
    [InlineData(StatusCode.Unknown, 500)]
    public void Grpc_statuses_map_to_the_http_status_that_means_the_same(StatusCode code, int http) =>
        Assert.Equal(http, StatusMapping.ToHttpStatus(code));

    [Theory]
    [InlineData(StatusCode.InvalidArgument)]
    [InlineData(StatusCode.Unauthenticated)]
    [InlineData(StatusCode.PermissionDenied)]
    [InlineData(StatusCode.NotFound)]
    [InlineData(StatusCode.AlreadyExists)]
    [InlineData(StatusCode.FailedPrecondition)]
    [InlineData(StatusCode.ResourceExhausted)]
    [InlineData(StatusCode.Unimplemented)]
    [InlineData(StatusCode.Unavailable)]
    [InlineData(StatusCode.DeadlineExceeded)]
    public void The_mapping_round_trips_for_every_status_a_client_acts_on(StatusCode code) =>
        Assert.Equal(code, StatusMapping.ToGrpcStatus(StatusMapping.ToHttpStatus(code)));

    [Theory]
    [InlineData(413)]
    [InlineData(415)]
    public void Oversize_and_unsupported_media_are_invalid_arguments_in_grpc(int http) =>
        Assert.Equal(StatusCode.InvalidArgument, StatusMapping.ToGrpcStatus(http));

    [Fact]
    public void Every_status_has_a_title() =>
        Assert.All(Enum.GetValues<StatusCode>(), code => Assert.False(string.IsNullOrWhiteSpace(StatusMapping.Title(code))));
}
