# FacePlatform attributes: gRPC AttributesService: age, gender, emotion, liveness from aligned crops (ONNX Runtime).
# gRPC on 5102 (mutual TLS, the gateway only), /healthz /readyz /metrics on 5182 (HTTP/1.1). Models are NOT baked in:
# they are read from Models__Directory (/models), a volume filled once by the model-import image
# (deploy/docker/model-import.Dockerfile).
#
# Two runtime targets from one build:
#   cpu  (default, last stage)  chiseled ASP.NET runtime, ONNX Runtime's CPU provider
#        docker build -f deploy/docker/attributes.Dockerfile -t faceplatform/attributes:dev .
#   cuda CUDA 13 + cuDNN 9 runtime (what Microsoft.ML.OnnxRuntime.Gpu 1.31 needs) with the ASP.NET runtime copied in
#        docker build -f deploy/docker/attributes.Dockerfile --target cuda -t faceplatform/attributes:dev-cuda .
# The ONNX Runtime GPU package ships linux-x64 native libraries only: build with --platform linux/amd64.
#
# Probes: no HEALTHCHECK instruction (the cpu image has no shell). Kubernetes probes: readiness = GET /readyz on 5182,
# liveness and startup = GET /healthz on 5182 (charts/face-platform).

FROM mcr.microsoft.com/dotnet/sdk:10.0.401-noble AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY protos/ protos/
COPY services/ services/
RUN --mount=type=cache,id=faceplatform-nuget,target=/root/.nuget/packages \
    dotnet publish services/FacePlatform.Attributes/FacePlatform.Attributes.csproj \
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
    Kestrel__Endpoints__Grpc__Url=https://+:5102 \
    Kestrel__Endpoints__Http__Url=http://+:5182 \
    Models__Directory=/models \
    Inference__Provider=cuda \
    TMPDIR=/tmp
EXPOSE 5102 5182
LABEL org.opencontainers.image.title="faceplatform-attributes-cuda" \
      io.faceplatform.probe.readiness="5182/readyz" \
      io.faceplatform.probe.http="5182/healthz"
USER 1654:1654
ENTRYPOINT ["dotnet", "FacePlatform.Attributes.dll"]

# --- cpu (default target)
FROM mcr.microsoft.com/dotnet/aspnet:10.0.12-noble-chiseled AS cpu
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_HTTP_PORTS= \
    ASPNETCORE_ENVIRONMENT=Production \
    Kestrel__Endpoints__Grpc__Url=https://+:5102 \
    Kestrel__Endpoints__Http__Url=http://+:5182 \
    Models__Directory=/models \
    Inference__Provider=cpu \
    TMPDIR=/tmp
EXPOSE 5102 5182
LABEL org.opencontainers.image.title="faceplatform-attributes" \
      io.faceplatform.probe.readiness="5182/readyz" \
      io.faceplatform.probe.http="5182/healthz"
USER 1654:1654
ENTRYPOINT ["dotnet", "FacePlatform.Attributes.dll"]
