// Size and speed of the built module: bytes (raw, gzip -9) and, in headless Chromium, the
// time to load it (bare, and warmed as load() does by default), the first check of a
// 100-object input and later checks of the same input.
// Prints figures; it asserts nothing about time, only that the first check found the engine
// warm (nothing compiled again).
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { serve } from './serve.mjs';
import { launch } from './chromium.mjs';

const wasm = readFileSync(new URL('../dist/pkg/kvet_wasm_bg.wasm', import.meta.url));
const gz = gzipSync(wasm, { level: 9 }).length;

/** 100 objects: 25 each of Deployment, Service, ConfigMap and Pod, a few with problems. */
function input() {
  const docs = [];
  for (let i = 0; i < 25; i++) {
    docs.push(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web-${i}, namespace: shop}
spec:
  replicas: ${i % 7 === 0 ? '"two"' : 2}
  selector: {matchLabels: {app: web-${i}}}
  template:
    metadata: {labels: {app: web-${i}}}
    spec:
      containers:
        - name: web
          image: registry.example.com/web:${i % 5 === 0 ? 'latest' : '1.2.' + i}
          ports: [{containerPort: 8080}]
          resources: {limits: {cpu: 500m, memory: 256Mi}}
`);
    docs.push(`apiVersion: v1
kind: Service
metadata: {name: web-${i}, namespace: shop}
spec:
  selector: {app: web-${i}}
  ports: [{port: 80, targetPort: 8080}]
`);
    docs.push(`apiVersion: v1
kind: ConfigMap
metadata: {name: cfg-${i}, namespace: shop}
data: {key: value-${i}}
`);
    docs.push(`apiVersion: v1
kind: Pod
metadata: {name: job-${i}, namespace: shop}
spec:
  ${i % 4 === 0 ? 'hostNetwork: true\n  ' : ''}containers:
    - name: job
      image: registry.example.com/job:1.0.${i}
`);
  }
  return { 'objects.yaml': docs.join('---\n') };
}

const server = await serve(0);
const browser = await launch();
try {
  // Where the first check's time goes: a fresh page checks without policies first.
  const bare = await browser.context.newPage();
  await bare.goto(`http://127.0.0.1:${server.address().port}/demo/blank.html`);
  const bare_ = await bare.evaluate(async (files) => {
    const k = await import('/dist/index.js');
    const t0 = performance.now();
    await k.load(undefined, { warm: false });
    const t1 = performance.now();
    k.check(files, { policySets: ['none'] });
    return { loadMs: t1 - t0, firstMs: performance.now() - t1 };
  }, input());
  const bareFirst = bare_.firstMs;
  await bare.close();
  const page = await browser.context.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/demo/blank.html`);
  const figures = await page.evaluate(async (files) => {
    const t0 = performance.now();
    const k = await import('/dist/index.js');
    await k.load();
    const t1 = performance.now();
    const warmed = k.compilations();
    const first = k.check(files);
    const t2 = performance.now();
    const afterFirst = k.compilations();
    const later = [];
    for (let i = 0; i < 10; i++) {
      const s = performance.now();
      k.check(files);
      later.push(performance.now() - s);
    }
    later.sort((a, b) => a - b);
    return {
      objects: first.summary.objects,
      findings: first.findings.length,
      loadMs: t1 - t0,
      firstCheckMs: t2 - t1,
      laterMedianMs: later[5],
      laterMaxMs: later[9],
      warmed,
      afterFirst,
    };
  }, input());
  const r = (x) => Math.round(x * 10) / 10;
  console.log(`wasm: ${wasm.length} bytes, ${gz} gzipped (${(gz / 1048576).toFixed(2)} MiB; budget 3 MB)`);
  console.log(`input: ${figures.objects} objects, ${figures.findings} findings (default policy sets)`);
  console.log(`load (fetch + compile + instantiate), not warmed: ${r(bare_.loadMs)} ms`);
  console.log(`load, warmed for the default policy sets (what load() does): ${r(figures.loadMs)} ms`);
  console.log(`first check after load(): ${r(figures.firstCheckMs)} ms (budget 300 ms)`);
  // Not a timing: the first check must find the validators and policies load() compiled.
  if (JSON.stringify(figures.afterFirst) !== JSON.stringify(figures.warmed)) {
    throw new Error(`the first check compiled again after load(): ${JSON.stringify(figures.warmed)} → ${JSON.stringify(figures.afterFirst)}`);
  }
  console.log(`first check without policies (schemas only): ${r(bareFirst)} ms`);
  console.log(`later checks: median ${r(figures.laterMedianMs)} ms, max ${r(figures.laterMaxMs)} ms of 10 (budget 50 ms)`);
} finally {
  await browser.close();
  server.close();
}
