#!/usr/bin/env bash
# Everything the WASM package needs in CI: tooling, the build, the Node tests (API, warming,
# parity with the CLI over the fixtures), the browser test, and the size/speed figures.
# Ends with one line: "wasm/ci.sh: PASS" or "wasm/ci.sh: FAIL at <step>".
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"

current="start"
step() {
  current="$*"
  printf '\n--> wasm: %s (at %ds)\n' "$*" "$SECONDS"
}
trap 'rc=$?; if [ $rc -eq 0 ]; then echo "wasm/ci.sh: PASS in ${SECONDS}s"; else echo "wasm/ci.sh: FAIL at \"$current\" (exit $rc, after ${SECONDS}s)"; fi' EXIT

step "tooling"
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
want="$(sed -n 's/^wasm-bindgen = "=\(.*\)"$/\1/p' "$root/crates/kvet-wasm/Cargo.toml")"
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
  # Not --locked: the tool's lockfile pins a webpki-roots release the registry no longer serves.
  cargo install wasm-bindgen-cli --version "=$want"
fi
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
(cd "$here" && npm ci --no-audit --no-fund)

step "the CLI the parity test compares with"
cargo build --locked -p kvet-cli
step "the package (wasm32 release build, wasm-bindgen, wasm-opt)"
bash "$here/build.sh"

export KVET_BIN="$CARGO_TARGET_DIR/debug/kvet"
export KVET_SCREENSHOT_DIR="$CARGO_TARGET_DIR/kvet-e2e"
step "Node and headless-Chromium tests"
(cd "$here" && node --test test/ e2e/)
step "size and speed figures"
(cd "$here" && node scripts/measure.mjs)
