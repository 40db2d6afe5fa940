# Inner-loop image used by the Tiltfile only: wraps a `dotnet publish` output made on the host (the build context is
# that output folder), so Tilt can live-update the binaries in place (sync + restart) without a full image build.
# Not chiseled on purpose: Tilt's live update needs tar and a shell in the container.
FROM mcr.microsoft.com/dotnet/aspnet:10.0.12-noble
WORKDIR /app
COPY --chown=1654:1654 . /app/
ENV ASPNETCORE_HTTP_PORTS= \
    ASPNETCORE_ENVIRONMENT=Development \
    TMPDIR=/tmp
LABEL io.faceplatform.probe="Kubernetes probes from charts/face-platform (grpc.health.v1 + /healthz)"
USER 1654:1654
