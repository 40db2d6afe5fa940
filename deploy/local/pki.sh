#!/usr/bin/env bash
# A throwaway certificate authority and one certificate per service for the mutual TLS between the services
# (README, trust model). Idempotent: keeps what is there and valid, makes what is missing or expires within a week
# (a new CA re-issues every certificate).
#
#   deploy/local/pki.sh [DIR]     default DIR: $FACEPLATFORM_DATA_DIR/pki, else .data/pki
#
# Writes DIR/ca.crt (+ ca.key) and DIR/<service>.crt + <service>.key for gateway, identity, embedding, attributes:
# ECDSA P-256, common name = the service (the name internal services authorise callers by), SANs localhost,
# 127.0.0.1 and the service's name, usable for TLS server and client authentication. The folder is mode 700 and
# every key mode 600. The CA key stays on this machine only to issue these certificates.
set -euo pipefail
FP_TAG=pki
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir="${1:-$FP_DATA/pki}"
services=(gateway identity embedding attributes)
week=$((7 * 24 * 3600))

command -v openssl >/dev/null 2>&1 || fail "openssl is required (apt-get install openssl)"
umask 077
mkdir -p "$dir"
chmod 700 "$dir"

valid() { [[ -s "$1" ]] && openssl x509 -in "$1" -noout -checkend "$week" >/dev/null 2>&1; }

if ! valid "$dir/ca.crt" || [[ ! -s "$dir/ca.key" ]]; then
  say "making a new local CA in $dir"
  openssl ecparam -name prime256v1 -genkey -noout -out "$dir/ca.key"
  openssl req -x509 -new -key "$dir/ca.key" -sha256 -days 825 -subj "/O=FacePlatform/CN=FacePlatform local CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$dir/ca.crt" 2>/dev/null
  for service in "${services[@]}"; do rm -f "$dir/$service.crt"; done
fi

for service in "${services[@]}"; do
  crt="$dir/$service.crt" key="$dir/$service.key"
  if valid "$crt" && [[ -s "$key" ]] && openssl verify -CAfile "$dir/ca.crt" "$crt" >/dev/null 2>&1; then
    continue
  fi
  openssl ecparam -name prime256v1 -genkey -noout -out "$key"
  ext="$(mktemp)"
  cat >"$ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyAgreement
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:localhost,DNS:$service,IP:127.0.0.1
EXT
  openssl req -new -key "$key" -subj "/O=FacePlatform/CN=$service" 2>/dev/null |
    openssl x509 -req -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 365 -sha256 -extfile "$ext" \
      -out "$crt" 2>/dev/null
  rm -f "$ext"
  say "issued $service.crt (CN=$service, valid 365 days)"
done
chmod 600 "$dir"/*.key
chmod 644 "$dir"/*.crt
