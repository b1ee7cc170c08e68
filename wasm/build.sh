#!/usr/bin/env bash
# Builds the npm package into wasm/dist: the Rust crate for wasm32, wasm-bindgen's ES-module
# glue, wasm-opt -Oz, and the typed wrapper.
#   KVET_SCHEMA_VERSIONS  Kubernetes minors to embed (default: the newest three; "all" for all)
#   CARGO_TARGET_DIR      where cargo builds (default: the workspace's target/)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

if [ -z "${KVET_SCHEMA_VERSIONS:-}" ]; then
  KVET_SCHEMA_VERSIONS="$(ls "$root/schemas" | sed -n 's/^v\(1\.[0-9]*\)\.bin\.zst$/\1/p' | sort -t. -k2,2n | tail -3 | paste -sd, -)"
fi
export KVET_SCHEMA_VERSIONS
echo "embedding Kubernetes schemas: $KVET_SCHEMA_VERSIONS" >&2

want="$(sed -n 's/^wasm-bindgen = "=\(.*\)"$/\1/p' "$root/crates/kvet-wasm/Cargo.toml")"
have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')"
if [ "$want" != "$have" ]; then
  echo "wasm-bindgen-cli $want is needed (found: ${have:-none}): cargo install wasm-bindgen-cli --version =$want" >&2
  exit 1
fi

# Release settings of the workspace, without debug info (it only adds bytes to strip).
CARGO_PROFILE_RELEASE_DEBUG=false \
  cargo build --manifest-path "$root/Cargo.toml" -p kvet-wasm --target wasm32-unknown-unknown --release

rm -rf "$here/dist"
mkdir -p "$here/dist/pkg"
wasm-bindgen --target web --out-dir "$here/dist/pkg" --out-name kvet_wasm \
  "$target_dir/wasm32-unknown-unknown/release/kvet_wasm.wasm"

# The features rustc's wasm32 target enables by default, named one by one: output built with
# --all-features uses proposals Chromium refuses.
"$here/node_modules/.bin/wasm-opt" -Oz \
  --enable-bulk-memory --enable-mutable-globals --enable-sign-ext \
  --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue \
  "$here/dist/pkg/kvet_wasm_bg.wasm" -o "$here/dist/pkg/kvet_wasm_bg.opt.wasm"
mv "$here/dist/pkg/kvet_wasm_bg.opt.wasm" "$here/dist/pkg/kvet_wasm_bg.wasm"

cp "$here/src/index.js" "$here/src/index.d.ts" "$here/dist/"
printf '%s\n' "$KVET_SCHEMA_VERSIONS" > "$here/dist/SCHEMA_VERSIONS"
bytes=$(wc -c < "$here/dist/pkg/kvet_wasm_bg.wasm")
gz=$(gzip -9 -c "$here/dist/pkg/kvet_wasm_bg.wasm" | wc -c)
echo "built wasm/dist: kvet_wasm_bg.wasm $bytes bytes, $gz gzipped" >&2
