// Shared by the Node tests: load the built package, read fixture trees into file sets.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const wasmDir = fileURLToPath(new URL('..', import.meta.url));
export const repo = join(wasmDir, '..');

/** Every file under `dir` (relative to `base`, `/`-separated) as bytes. */
export function readTree(dir, base = repo, out = {}) {
  if (statSync(dir).isFile()) {
    out[relative(base, dir).split(sep).join('/')] = new Uint8Array(readFileSync(dir));
    return out;
  }
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) readTree(p, base, out);
    else if (st.isFile()) out[relative(base, p).split(sep).join('/')] = new Uint8Array(readFileSync(p));
  }
  return out;
}

/** The built package (wasm/dist), loaded. */
export async function kvet() {
  const mod = await import(new URL('../dist/index.js', import.meta.url).href);
  await mod.load();
  return mod;
}
