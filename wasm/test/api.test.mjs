// The npm package's API in Node: findings, errors with locations, charts, render.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kvet, readTree, repo } from '../scripts/files.mjs';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';

const k = await kvet();

const DEPLOY = `apiVersion: apps/v1
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

test('a schema violation is found at its line', () => {
  const r = k.check({ 'deploy.yaml': DEPLOY }, { policySets: ['none'] });
  assert.equal(r.findings.length, 1);
  const [f] = r.findings;
  assert.equal(f.rule, 'schema');
  assert.equal(f.severity, 'error');
  assert.equal(f.location.file, 'deploy.yaml');
  assert.equal(f.location.line, 6);
  assert.equal(f.pointer, '/spec/replicas');
  assert.equal(r.summary.errors, 1);
  assert.equal(r.kubernetesVersion, k.about().kubernetesVersions.at(-1));
});

test('about lists three embedded versions and the built-in policies', () => {
  const a = k.about();
  assert.equal(a.kubernetesVersions.length, 3);
  assert.ok(a.policies.some((p) => p.id === 'tag-pinning'));
});

test('default policy sets apply, bytes and Maps are accepted', () => {
  const files = new Map([['d.yaml', new TextEncoder().encode(DEPLOY.replace('nginx:1.27', 'nginx:latest'))]]);
  const r = k.check(files);
  assert.ok(r.findings.some((f) => f.rule.startsWith('tag-pinning')), JSON.stringify(r.findings));
});

test('errors are KvetErrors with a location', () => {
  assert.throws(() => k.check({ 'a.yaml': 'x: 1\n' }, { kubernetesVersion: '1.0' }), /^KvetError: Kubernetes 1\.0 schemas are not embedded in this build; available: /);
  assert.throws(() => k.check({ 'a.yaml': 'x: 1\n' }, { kubernetesVersion: 'banana' }), (e) => {
    assert.equal(e.name, 'KvetError');
    assert.equal(e.file, 'options');
    assert.match(e.message, /^options: options\.kubernetesVersion: /);
    return true;
  });
  assert.throws(() => k.check({ '.kvet.yaml': 'strict: [\n' }), (e) => {
    assert.equal(e.file, '.kvet.yaml');
    assert.ok(e.line >= 1);
    return true;
  });
  assert.throws(() => k.render({ 'k/kustomization.yaml': 'resources: [missing.yaml]\n' }, { kustomization: 'k' }), (e) => {
    assert.equal(e.file, 'k/kustomization.yaml');
    assert.equal(e.line, 1);
    return true;
  });
  assert.throws(() => k.check('nope'), /files must be an object/);
  // The module is still usable after thrown errors.
  assert.equal(k.check({ 'd.yaml': DEPLOY }, { policySets: ['none'] }).findings.length, 1);
});

test('a chart archive renders, from bytes', () => {
  const files = readTree(join(repo, 'fixtures/charts/archive-dep'), join(repo, 'fixtures/charts'));
  const out = k.render({ 'sub.tgz': files['archive-dep/charts/sub-0.1.0.tgz'] }, { chart: 'sub.tgz', set: ['global.region=eu-west'] });
  assert.ok(out.documents.length > 0);
  assert.match(out.manifest, /^---\n# Source: sub\//);
  assert.match(out.manifest, /eu-west/);
});

test('a kustomization renders as kubectl kustomize prints it', () => {
  const files = readTree(join(repo, 'fixtures/kustomize'), repo);
  const out = k.render(files, { kustomization: 'fixtures/kustomize/cases/platform-eu' });
  assert.equal(out.manifest, readFileSync(join(repo, 'fixtures/kustomize/cases/platform-eu/expected.yaml'), 'utf8'));
});
