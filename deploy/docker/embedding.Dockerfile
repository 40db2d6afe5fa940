# FacePlatform embedding: gRPC EmbeddingService: decode, detect, align, embed (ONNX Runtime).
# gRPC on 5101 (mutual TLS, the gateway only), /healthz /readyz /metrics on 5181 (HTTP/1.1). Models are NOT baked in:
# they are read from Models__Directory (/models), a volume filled once by the model-import image
# (deploy/docker/model-import.Dockerfile).
#
# Two runtime targets from one build:
#   cpu  (default, last stage)  chiseled ASP.NET runtime, ONNX Runtime's CPU provider
#        docker build -f deploy/docker/embedding.Dockerfile -t faceplatform/embedding:dev .
#   cuda CUDA 13 + cuDNN 9 runtime (what Microsoft.ML.OnnxRuntime.Gpu 1.31 needs) with the ASP.NET runtime copied in
#        docker build -f deploy/docker/embedding.Dockerfile --target cuda -t faceplatform/embedding:dev-cuda .
# The ONNX Runtime GPU package ships linux-x64 native libraries only: build with --platform linux/amd64.
#
# Probes: no HEALTHCHECK instruction (the cpu image has no shell). Kubernetes probes: readiness = GET /readyz on 5181,
# liveness and startup = GET /healthz on 5181 (charts/face-platform).

FROM mcr.microsoft.com/dotnet/sdk:10.0.401-noble AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY protos/ protos/
COPY services/ services/
RUN --mount=type=cache,id=faceplatform-nuget,target=/root/.nuget/packages \
    dotnet publish services/FacePlatform.Embedding/FacePlatform.Embedding.csproj \
        -c Release -o /app --no-self-contained -p:UseAppHost=false -r linux-x64

# The ASP.NET runtime, copied into the CUDA image below.
FROM mcr.microsoft.com/dotnet/aspnet:10.0.12-noble AS dotnet-runtime

# --- cuda: docker build --target cuda
FROM nvidia/cuda:13.0.0-cudnn-runtime-ubuntu24.04 AS cuda
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3t64 tzdata zlib1g \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 1654 app \
    && useradd --uid 1654 --gid 1654 --no-create-home --home-dir /app --shell /usr/sbin/nologin app
COPY --from=dotnet-runtime /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
WORKDIR /app
COPY --from=build /app ./
ENV DOTNET_ROOT=/usr/share/dotnet \
    DOTNET_RUNNING_IN_CONTAINER=true \
    ASPNETCORE_HTTP_PORTS= \
    ASPNETCORE_ENVIRONMENT=Production \
    Kestrel__Endpoints__Grpc__Url=https://+:5101 \
    Kestrel__Endpoints__Http__Url=http://+:5181 \
    Models__Directory=/models \
    Inference__Provider=cuda \
    TMPDIR=/tmp
EXPOSE 5101 5181
LABEL org.opencontainers.image.title="faceplatform-embedding-cuda" \
      io.faceplatform.probe.readiness="5181/readyz" \
      io.faceplatform.probe.http="5181/healthz"
USER 1654:1654
ENTRYPOINT ["dotnet", "FacePlatform.Embedding.dll"]

# --- cpu (default target)
FROM mcr.microsoft.com/dotnet/aspnet:10.0.12-noble-chiseled AS cpu
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_HTTP_PORTS= \
    ASPNETCORE_ENVIRONMENT=Production \
    Kestrel__Endpoints__Grpc__Url=https://+:5101 \
    Kestrel__Endpoints__Http__Url=http://+:5181 \
    Models__Directory=/models \
    Inference__Provider=cpu \
    TMPDIR=/tmp
EXPOSE 5101 5181
LABEL org.opencontainers.image.title="faceplatform-embedding" \
      io.faceplatform.probe.readiness="5181/readyz" \
      io.faceplatform.probe.http="5181/healthz"
USER 1654:1654
ENTRYPOINT ["dotnet", "FacePlatform.Embedding.dll"]
