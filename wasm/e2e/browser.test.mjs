// The demo page in headless Chromium: paste a manifest with a known violation, see the
// finding listed and its line highlighted; drop a chart archive; choose a kustomize folder.
// Saves a screenshot to
// $KVET_SCREENSHOT_DIR (default: a temporary directory).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '../scripts/serve.mjs';
import { launch } from '../scripts/chromium.mjs';

const BAD = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: many
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
`;

let server;
let browser;
let page;

before(async () => {
  server = await serve(0);
  browser = await launch();
  page = await browser.context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
  await page.goto(`http://127.0.0.1:${server.address().port}/demo/`);
  await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('checked'), null, { timeout: 60_000 });
});

after(async () => {
  await browser?.close();
  server?.close();
});

test('a pasted manifest shows its finding on the right line', async () => {
  await page.fill('#text', BAD);
  const item = page.locator('#findings li', { hasText: 'expected integer, got string "many"' });
  await item.waitFor({ timeout: 30_000 });
  assert.equal(await item.locator('.where').textContent(), ' pasted.yaml:6 [schema] ');
  assert.equal(await item.locator('.sev').textContent(), 'error');
  // Line 6 of the editor is highlighted as an error, and no other line is.
  const highlighted = await page.$$eval('#backdrop div.hl', (ds) => ds.map((d) => [d.dataset.line, d.className]));
  assert.deepEqual(highlighted, [['6', 'hl error']]);
  const rules = await page.$$eval('#summary tbody tr', (rs) => rs.map((r) => [r.cells[0].textContent, r.cells[1].textContent]));
  assert.deepEqual(rules, [['schema', '1']]);
  const dir = process.env.KVET_SCREENSHOT_DIR || join(tmpdir(), 'kvet-e2e');
  mkdirSync(dir, { recursive: true });
  const shot = join(dir, 'demo.png');
  await page.screenshot({ path: shot });
  console.log(`screenshot: ${shot}`);
});

test('a dropped chart archive is rendered and checked', async () => {
  const tgz = readFileSync(new URL('../../fixtures/charts/archive-dep/charts/sub-0.1.0.tgz', import.meta.url));
  await page.evaluate(async (bytes) => {
    await window.kvetDemo.addFiles([['sub-0.1.0.tgz', new File([new Uint8Array(bytes)], 'sub-0.1.0.tgz')]]);
  }, [...tgz]);
  // Its template needs a value the chart does not set: the helm finding names the line.
  const item = page.locator('#findings li', { hasText: 'nil pointer evaluating interface {}.region' });
  await item.waitFor({ timeout: 30_000 });
  assert.match(await item.locator('.where').textContent(), /sub-0\.1\.0\.tgz\/templates\/deployment\.yaml:6 \[helm\]/);
});

test('a chosen kustomize folder is built and its findings land in the overlay', async () => {
  // The whole fixtures/kustomize tree, so the overlays find their bases, as `kvet check` does.
  await page.setInputFiles('#folder', fileURLToPath(new URL('../../fixtures/kustomize', import.meta.url)));
  const item = page.locator('#findings li', { hasText: 'container debug has no tag, which means latest (alpine)' });
  await item.waitFor({ timeout: 60_000 });
  assert.equal(await item.locator('.where').textContent(), ' kustomize/findings/overlay/debug.yaml:10 [tag-pinning] ');
  // A kustomization that does not build is a finding at its line, not a page error.
  const broken = page.locator('#findings li', { hasText: "accumulating resources: 'kustomize/findings/broken/missing.yaml'" });
  assert.equal(await broken.locator('.where').textContent(), ' kustomize/findings/broken/kustomization.yaml:3 [kustomize] ');
  // Choosing the finding shows the patch file with that line highlighted.
  await item.click();
  assert.equal(await page.inputValue('#file'), 'kustomize/findings/overlay/debug.yaml');
  const highlighted = await page.$$eval('#backdrop div.hl', (ds) => ds.map((d) => [d.dataset.line, d.className]));
  assert.deepEqual(highlighted, [['10', 'hl error']]);
});
