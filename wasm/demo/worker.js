// Runs kvet off the page's thread: {id, kind: 'check'|'about', files, options} in,
// {id, result} or {id, error} out.
import { load, check, about } from '../dist/index.js';

const ready = load();

self.onmessage = async ({ data }) => {
  const { id, kind, files, options } = data;
  try {
    await ready;
    const started = performance.now();
    const result = kind === 'about' ? about() : check(files, options);
    self.postMessage({ id, result, ms: performance.now() - started });
  } catch (e) {
    self.postMessage({ id, error: { message: e.message, file: e.file, line: e.line, column: e.column, internal: Boolean(e.internal) } });
    // After a panic the module cannot be used again: the page starts a new worker.
    if (e.internal) self.close();
  }
};
