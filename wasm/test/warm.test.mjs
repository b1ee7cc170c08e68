// load() warms the engine: the first check with the default options compiles nothing more,
// and warm(options) prepares other options the same way. (Its own file: a fresh module.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kvet } from '../scripts/files.mjs';

const k = await kvet();

const POD = `apiVersion: v1
kind: Pod
metadata: {name: a, namespace: shop}
spec:
  containers: [{name: a, image: nginx}]
`;

test('the first check after load() finds everything compiled', () => {
  assert.deepEqual(k.compilations(), { checkers: 1, policies: 1 });
  const r = k.check({ 'pod.yaml': POD });
  assert.ok(r.findings.some((f) => f.rule === 'tag-pinning'), JSON.stringify(r.findings));
  assert.deepEqual(k.compilations(), { checkers: 1, policies: 1 });
});

test('warm(options) compiles for those options ahead of the check', () => {
  const options = { policySets: ['pss-restricted'], kubernetesVersion: k.about().kubernetesVersions[0] };
  k.warm(options);
  assert.deepEqual(k.compilations(), { checkers: 2, policies: 2 });
  const r = k.check({ 'pod.yaml': POD }, options);
  assert.ok(r.findings.some((f) => f.rule.startsWith('pss-restricted/')), JSON.stringify(r.findings));
  assert.deepEqual(k.compilations(), { checkers: 2, policies: 2 });
});
