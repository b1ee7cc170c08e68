#!/usr/bin/env bash
# Everything the WASM package needs in CI: tooling, the build, the Node tests (API and
# parity with the CLI over the fixtures), the browser test, and the size/speed figures.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
want="$(sed -n 's/^wasm-bindgen = "=\(.*\)"$/\1/p' "$root/crates/kvet-wasm/Cargo.toml")"
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
  cargo install wasm-bindgen-cli --version "=$want"
fi
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
(cd "$here" && npm ci --no-audit --no-fund)

cargo build -p kvet-cli
bash "$here/build.sh"

export KVET_BIN="$CARGO_TARGET_DIR/debug/kvet"
export KVET_SCREENSHOT_DIR="$CARGO_TARGET_DIR/kvet-e2e"
(cd "$here" && node --test test/ e2e/)
(cd "$here" && node scripts/measure.mjs)
