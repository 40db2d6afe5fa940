# FacePlatform identity: gRPC IdentityService on 5103 (mutual TLS, the gateway only) and /healthz /readyz /metrics on
# 5183 (HTTP/1.1). Collections, subjects and search on PostgreSQL + pgvector, hot answers in Redis. Applies EF Core
# migrations at start; with Identity__MigrateOnly=true it applies them and exits (the Helm chart's migration hook
# Job).
#
#   docker build -f deploy/docker/identity.Dockerfile -t faceplatform/identity:dev .    (from the repository root)
#
# Probes: chiseled runtime (no shell), so no HEALTHCHECK instruction. Kubernetes probes: readiness = GET /readyz on
# 5183, liveness and startup = GET /healthz on 5183 (charts/face-platform).

FROM mcr.microsoft.com/dotnet/sdk:10.0.401-noble AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY protos/ protos/
COPY services/ services/
RUN --mount=type=cache,id=faceplatform-nuget,target=/root/.nuget/packages \
    dotnet publish services/FacePlatform.Identity/FacePlatform.Identity.csproj \
        -c Release -o /app --no-self-contained -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0.12-noble-chiseled AS runtime
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_HTTP_PORTS= \
    ASPNETCORE_ENVIRONMENT=Production \
    Kestrel__Endpoints__Grpc__Url=https://+:5103 \
    Kestrel__Endpoints__Http__Url=http://+:5183 \
    TMPDIR=/tmp
EXPOSE 5103 5183
LABEL org.opencontainers.image.title="faceplatform-identity" \
      io.faceplatform.probe.readiness="5183/readyz" \
      io.faceplatform.probe.http="5183/healthz"
USER 1654:1654
ENTRYPOINT ["dotnet", "FacePlatform.Identity.dll"]
