#!/usr/bin/env bash
# Checks of the protobuf contracts in protos/ with the buf CLI (docs/contracts.md). Called by tests/run.sh; runnable
# alone, offline once the tools are installed:
#
#   bash tests/contracts/run.sh
#
# buf comes from the npm registry (@bufbuild/buf, its linux-x64 binary as an optional dependency), pinned in
# package.json / package-lock.json beside this script and installed with `npm ci` (skipped while node_modules matches
# the lock). The checks:
#   - lint: `buf lint` with protos/buf.yaml (STANDARD rules; the internal contracts' exceptions are listed there);
#   - the public contract faceplatform/face/v1 imports nothing under faceplatform/internal;
#   - the baseline image protos/baseline/faceplatform-v1.binpb (the released public contract) is the real one;
#   - breaking: `buf breaking` of protos/ against that baseline (FILE rules: no field removed, renumbered or retyped,
#     no RPC or message renamed or removed in the public packages);
#   - the checks can fail: a copy of protos/ with a removed field, one with a renamed RPC, and one with an RPC whose
#     request is not named after it must each be refused.
# Prints `PASS <check>` / `FAIL <check>: <reason>` per check and ends with one line
# `contract-checks: N passed, M failed`; exits 1 when M > 0.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
protos="$root/protos"
baseline="$protos/baseline/faceplatform-v1.binpb"
public_dir="faceplatform/face/v1"

passed=0
failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
finish() {
  echo "contract-checks: ${passed} passed, ${failed} failed"
  [ "$failed" -eq 0 ]
  exit $?
}

# --- tools ---------------------------------------------------------------------------------------------------------
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  fail "tools" "node and npm are required (deploy/local/lib.sh installs them from Debian)"
  finish
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
stamp_file="$here/node_modules/.contract-checks.stamp"
stamp="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -d' ' -f1)"
buf="$here/node_modules/.bin/buf"
if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ] && [ -x "$buf" ]; then
  pass "tools (node_modules matches package-lock.json)"
elif (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >"$work/npm-ci.log" 2>&1); then
  echo "$stamp" >"$stamp_file"
  pass "tools (npm ci)"
else
  fail "tools" "npm ci failed: $(tail -n 5 "$work/npm-ci.log" | tr '\n' ' ')"
  finish
fi
if ! version="$("$buf" --version 2>&1)"; then
  fail "tools" "buf does not run on $(uname -sm): $version"
  finish
fi
echo "  buf $version"

# --- lint ------------------------------------------------------------------------------------------------------------
if out="$("$buf" lint "$protos" 2>&1)"; then
  pass "buf lint protos/ (STANDARD; internal exceptions in protos/buf.yaml)"
else
  fail "buf lint protos/" "$(head -n 20 <<<"$out" | tr '\n' ' ')"
fi

# Lists the .proto files of a buf image (JSON) on stdout.
image_files() { node -e 'const i=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));for(const f of i.file??[])console.log(f.name)' "$1"; }

# --- the public contract is self-contained ---------------------------------------------------------------------------
if out="$("$buf" build "$protos" --path "$protos/$public_dir" -o "$work/public.json" 2>&1)"; then
  files="$(image_files "$work/public.json")"
  internal="$(grep -E '^faceplatform/internal/' <<<"$files")"
  if [ -z "$internal" ] && grep -qx "$public_dir/face.proto" <<<"$files"; then
    pass "public contract imports no internal proto ($(tr '\n' ' ' <<<"$files"))"
  else
    fail "public contract imports no internal proto" "the image of $public_dir holds: $(tr '\n' ' ' <<<"$files")"
  fi
else
  fail "public contract builds alone" "$(head -n 10 <<<"$out" | tr '\n' ' ')"
fi

# --- the baseline is the released public contract ---------------------------------------------------------------------
if [ ! -s "$baseline" ]; then
  fail "baseline image" "$baseline is missing or empty"
  finish
fi
# Breaking checks against an empty image pass trivially: the baseline must hold FaceService with its RPCs.
if "$buf" build "$baseline" -o "$work/baseline.json" >"$work/baseline.log" 2>&1 \
  && rpcs="$(node -e '
      const i = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      const f = (i.file ?? []).find(f => f.package === "faceplatform.face.v1");
      const s = (f?.service ?? []).find(s => s.name === "FaceService");
      if (!s) process.exit(1);
      console.log((s.method ?? []).length);' "$work/baseline.json")" && [ "$rpcs" -gt 0 ]; then
  pass "baseline image holds faceplatform.face.v1.FaceService ($rpcs RPCs)"
else
  fail "baseline image" "$baseline does not hold faceplatform.face.v1.FaceService: $(head -n 5 "$work/baseline.log" | tr '\n' ' ')"
fi

# --- breaking changes against the baseline ---------------------------------------------------------------------------
if out="$("$buf" breaking "$protos" --against "$baseline" 2>&1)"; then
  pass "buf breaking protos/ against protos/baseline/faceplatform-v1.binpb"
else
  fail "buf breaking against the baseline" "$(head -n 20 <<<"$out" | tr '\n' ' ')"
fi

# --- the checks can fail ----------------------------------------------------------------------------------------------
# Copies protos/ (buf.yaml included), applies a sed expression to the public face.proto and runs the given buf command
# on the copy; passes when buf refuses it with the expected rule named in its output.
must_refuse() {
  local name="$1" edit="$2" rule="$3" command="$4" copy="$work/$5"
  rm -rf "$copy" && cp -r "$protos" "$copy"
  sed -i -E "$edit" "$copy/$public_dir/face.proto"
  if cmp -s "$protos/$public_dir/face.proto" "$copy/$public_dir/face.proto"; then
    fail "$name" "the edit changed nothing (face.proto changed under the test?)"
    return
  fi
  local out
  if out="$("$buf" $command "$copy" --against "$baseline" 2>&1)"; then
    fail "$name" "buf $command accepted it"
  elif grep -q "$rule" <<<"$out" || grep -qi "$(sed 's/_/ /g' <<<"$rule")" <<<"$out"; then
    pass "$name ($(head -n 1 <<<"$out" | cut -c1-160))"
  else
    fail "$name" "refused, but not for $rule: $(head -n 3 <<<"$out" | tr '\n' ' ')"
  fi
}

must_refuse "breaking: a removed field is refused" \
  '/^message AnalyzeRequest \{/,/^\}/{/^  int32 max_faces = 4;$/d}' "deleted" breaking removed-field
must_refuse "breaking: a renamed RPC is refused" \
  's/^  rpc GetCollection\(GetCollectionRequest\)/  rpc FetchCollection(GetCollectionRequest)/' "deleted" breaking renamed-rpc
must_refuse "breaking: a renumbered field is refused" \
  '/^message GetCollectionRequest \{/,/^\}/s/^  string collection_id = 1;$/  string collection_id = 7;/' "collection_id" breaking renumbered-field
rm -rf "$work/bad-name" && cp -r "$protos" "$work/bad-name"
sed -i -E 's/^  rpc Analyze\(AnalyzeRequest\) returns \(AnalyzeResponse\);$/&\n  rpc AnalyzeAgain(AnalyzeRequest) returns (AnalyzeResponse);/' "$work/bad-name/$public_dir/face.proto"
if ! grep -q AnalyzeAgain "$work/bad-name/$public_dir/face.proto"; then
  fail "lint: an RPC with another RPC's request is refused" "the edit changed nothing"
elif out="$("$buf" lint "$work/bad-name" 2>&1)"; then
  fail "lint: an RPC with another RPC's request is refused" "buf lint accepted it"
elif grep -q 'should be named "AnalyzeAgainRequest"' <<<"$out"; then
  pass "lint: an RPC with another RPC's request is refused"
else
  fail "lint: an RPC with another RPC's request is refused" "refused, but not for its request name: $(head -n 3 <<<"$out" | tr '\n' ' ')"
fi

finish
