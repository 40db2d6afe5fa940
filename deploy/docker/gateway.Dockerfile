# FacePlatform gateway: REST API + web UI + /healthz /readyz /metrics on 8080 (HTTP/1.1) and the public gRPC
# FaceService on 8081 (h2c). The only service exposed outside the cluster.
#
#   docker build -f deploy/docker/gateway.Dockerfile -t faceplatform/gateway:dev .      (from the repository root)
#
# Probes: the runtime image is chiseled (no shell, no curl), so there is no HEALTHCHECK instruction. Kubernetes
# probes the image (charts/face-platform): readiness = grpc.health.v1 on 8081 (overall service ""), liveness and
# startup = GET /healthz on 8080. With plain Docker: grpc_health_probe -addr=:8081, or curl http://host:8080/healthz.
# Read-only root file system: nothing is written outside /tmp (mount an emptyDir there).

# --- web UI (React + Vite). services/web may not exist yet: the glob copies it when it does, and global.json keeps
# --- the COPY from matching nothing. Output: services/web/dist -> the gateway's wwwroot.
FROM node:22.12.0-bookworm-slim AS web
WORKDIR /src
COPY global.json services/web* ./web/
RUN if [ -f web/package.json ]; then \
        cd web && npm ci --no-audit --no-fund && npm run build && mv dist /wwwroot; \
    else \
        echo "services/web/package.json not found: the image has no web UI" && mkdir /wwwroot; \
    fi

# --- .NET build
FROM mcr.microsoft.com/dotnet/sdk:10.0.401-noble AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY protos/ protos/
COPY services/ services/
RUN --mount=type=cache,id=faceplatform-nuget,target=/root/.nuget/packages \
    dotnet publish services/FacePlatform.Gateway/FacePlatform.Gateway.csproj \
        -c Release -o /app --no-self-contained -p:UseAppHost=false

# --- runtime
FROM mcr.microsoft.com/dotnet/aspnet:10.0.12-noble-chiseled AS runtime
WORKDIR /app
COPY --from=build /app ./
COPY --from=web /wwwroot ./wwwroot/
ENV ASPNETCORE_HTTP_PORTS= \
    ASPNETCORE_ENVIRONMENT=Production \
    Kestrel__Endpoints__Http__Url=http://+:8080 \
    Kestrel__Endpoints__Grpc__Url=http://+:8081 \
    TMPDIR=/tmp
EXPOSE 8080 8081
LABEL org.opencontainers.image.title="faceplatform-gateway" \
      org.opencontainers.image.source="charts/face-platform" \
      io.faceplatform.probe.grpc="8081" \
      io.faceplatform.probe.http="8080/healthz"
USER 1654:1654
ENTRYPOINT ["dotnet", "FacePlatform.Gateway.dll"]
