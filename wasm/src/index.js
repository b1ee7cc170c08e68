// kvet in the browser (and Node): an ES module around the wasm-bindgen glue in ./pkg.
// Load once with `await load()`, then call check()/render()/about() synchronously.
import init, * as raw from './pkg/kvet_wasm.js';

let loaded = null;
let broken = null;

/** An error from kvet: a message, and where known the file, line and column it concerns. */
export class KvetError extends Error {
  constructor(message, fields = {}) {
    super(message);
    this.name = 'KvetError';
    this.file = fields.file;
    this.line = fields.line;
    this.column = fields.column;
    this.internal = Boolean(fields.internal);
  }
}

/**
 * Loads the module. `source` is what wasm-bindgen's init takes: a URL, a Response, bytes or a
 * compiled WebAssembly.Module; by default kvet_wasm_bg.wasm beside this file is fetched
 * (in Node, pass the bytes). Loading also warms the engine for `options.warm` (check
 * options; default: the default policy sets), compiling the policies and common validators
 * so the first check is quick; `{warm: false}` skips that.
 */
export async function load(source, options = {}) {
  if (!loaded) {
    loaded = (async () => {
      if (source === undefined && typeof process !== 'undefined' && process.versions?.node) {
        const { readFile } = await import('node:fs/promises');
        source = await readFile(new URL('./pkg/kvet_wasm_bg.wasm', import.meta.url));
      }
      await init(source === undefined ? undefined : { module_or_path: source });
      if (options.warm !== false) raw.warm(options.warm ?? {});
    })();
  }
  await loaded;
}

/** Warms the engine for other check options (see load). */
export function warm(options = {}) {
  return call(raw.warm, options);
}

function call(fn, ...args) {
  if (!loaded) throw new KvetError('kvet is not loaded yet: await load() first');
  if (broken) throw new KvetError(`kvet stopped after an internal error and must be loaded again (in a new worker or page): ${broken}`, { internal: true });
  try {
    return fn(...args);
  } catch (e) {
    // A trap (a panic) or the host's stack running out mid-call leaves the instance's own
    // stack unwound only halfway: it cannot be used again.
    if (e instanceof WebAssembly.RuntimeError || e instanceof RangeError) {
      // A panic traps the instance; the panic hook kept its message.
      let message = null;
      try { message = raw.takePanic(); } catch { /* the instance may be unusable */ }
      broken = message || e.message;
      throw new KvetError(broken, { internal: true });
    }
    if (e instanceof Error) {
      throw new KvetError(e.message, { file: e.file, line: e.line, column: e.column });
    }
    throw new KvetError(String(e));
  }
}

/**
 * Checks `files` ({path: text | Uint8Array}) as `kvet check --output json` checks the same
 * tree, and returns that JSON document.
 */
export function check(files, options = {}) {
  return call(raw.check, files, options);
}

/**
 * Renders the chart `options.chart` (a directory in `files` or a .tgz) as `helm template`
 * does, or the kustomization in directory `options.kustomization` as `kubectl kustomize`.
 */
export function render(files, options) {
  return call(raw.render, files, options);
}

/** The embedded Kubernetes versions (newest last) and the built-in policies. */
export function about() {
  return call(raw.about);
}

/**
 * How many checkers (schema validators) and policy sets the checks have built so far:
 * `{checkers, policies}`. A check that finds them warm leaves both counts as they were.
 */
export function compilations() {
  return call(raw.compilations);
}
