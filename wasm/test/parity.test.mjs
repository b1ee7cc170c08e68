// Every fixture the CLI checks gives the same JSON from the WASM module as from
// `kvet check --output json` (the CLI binary: $KVET_BIN, else $CARGO_TARGET_DIR/debug/kvet).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { kvet, readTree, repo } from '../scripts/files.mjs';

const bin = process.env.KVET_BIN || join(process.env.CARGO_TARGET_DIR || join(repo, 'target'), 'debug', 'kvet');
const k = await kvet();
const newest = k.about().kubernetesVersions.at(-1);

// [name, working directory (repo-relative), CLI arguments after `check`, module options]
const cases = [
  ['manifests', '.', ['fixtures/manifests'], { paths: ['fixtures/manifests'] }],
  ['examples', '.', ['fixtures/examples'], { paths: ['fixtures/examples'] }],
  ['pss', '.', ['fixtures/pss'], { paths: ['fixtures/pss'] }],
  ['pss restricted', '.', ['fixtures/pss', '--policy-set', 'pss-restricted', '--pss-version', '1.30'],
    { paths: ['fixtures/pss'], policySets: ['pss-restricted'], pssVersion: '1.30' }],
  ['charts', '.', ['fixtures/charts'], { paths: ['fixtures/charts'] }],
  ['charts with values', '.', ['fixtures/charts/basic', '--set', 'replicaCount=3', '--release-name', 'r1'],
    { paths: ['fixtures/charts/basic'], chart: { set: ['replicaCount=3'], releaseName: 'r1' } }],
  ['charts-broken', '.', ['fixtures/charts-broken'], { paths: ['fixtures/charts-broken'] }],
  ['charts-findings', '.', ['fixtures/charts-findings'], { paths: ['fixtures/charts-findings'] }],
  ['policies: conftest', '.', ['fixtures/policies/manifests', '-p', 'fixtures/policies/conftest', '--data', 'fixtures/policies/conftest/data.yaml'],
    { paths: ['fixtures/policies/manifests'], policyPaths: ['fixtures/policies/conftest'], data: ['fixtures/policies/conftest/data.yaml'] }],
  ['policies: gatekeeper', '.', ['fixtures/policies/gatekeeper/manifests', '-p', 'fixtures/policies/gatekeeper/templates'],
    { paths: ['fixtures/policies/gatekeeper/manifests'], policyPaths: ['fixtures/policies/gatekeeper/templates'] }],
  ['policies: combine', '.', ['fixtures/policies/combine', '-p', 'fixtures/policies/combine/policy.rego', '--combine'],
    { paths: ['fixtures/policies/combine'], policyPaths: ['fixtures/policies/combine/policy.rego'], combine: true }],
  ['policies: broken', '.', ['fixtures/policies/manifests', '-p', 'fixtures/policies/broken'],
    { paths: ['fixtures/policies/manifests'], policyPaths: ['fixtures/policies/broken'] }],
  // The config names Kubernetes 1.33; the module embeds only the newest versions, so both
  // sides are told the newest (the config's policy sets, parameters, self-waivers and
  // exceptions file still apply).
  ['config', 'fixtures/config', ['manifests', '--kubernetes-version', newest],
    { paths: ['manifests'], kubernetesVersion: newest }],
  // Kustomizations build from the set, bases and components included (read from the whole
  // fixtures/kustomize tree).
  ['kustomize cases', '.', ['fixtures/kustomize/cases'], { paths: ['fixtures/kustomize/cases'] }, ['fixtures/kustomize']],
  // Without --schema-location the custom kind has no schema: the same no-schema finding.
  ['schema-location (no location)', '.', ['fixtures/schema-location'], { paths: ['fixtures/schema-location'] }],
  ['kustomize findings', '.', ['fixtures/kustomize/findings'], { paths: ['fixtures/kustomize/findings'] }, ['fixtures/kustomize']],
  // Every fixture at once, as `kvet check fixtures` walks the tree: manifests, charts (and
  // archives), overlays, bases and components, policies read as manifests, broken files.
  ['every fixture (the whole tree)', '.', ['fixtures'], { paths: ['fixtures'] }],
];

/**
 * Two messages differ by build, not by logic, and are compared without that part: a
 * `no-schema` finding explains where the API was served from the embedded versions (the
 * module embeds fewer than the CLI), and a runaway template recursion stops after as many
 * nested calls as fit in the stack (frame sizes differ between a native debug build and an
 * optimised wasm build; the module allows less, see WASM_TEMPLATE_STACK).
 */
function normalize(report) {
  const fix = (f) => ({
    ...f,
    message: f.rule === 'no-schema'
      ? f.message.replace(/(in Kubernetes 1\.\d+): .*$/, '$1: …')
      : f.message.replace(/… \d+ nested calls …/g, '… N nested calls …')
        .replace(/\(\d+ bytes of stack\)/g, '(N bytes of stack)'),
  });
  return {
    ...report,
    findings: report.findings.map(fix),
    waived: report.waived.map((w) => ({ ...w, finding: fix(w.finding) })),
  };
}

for (const [name, cwd, args, options, trees = []] of cases) {
  test(`same findings as the CLI: ${name}`, { skip: !existsSync(bin) && `no CLI at ${bin}` }, () => {
    const dir = join(repo, cwd);
    const cli = spawnSync(bin, ['check', '--output', 'json', ...(cwd === '.' ? ['--no-config'] : []), ...args], {
      cwd: dir,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    assert.ok(cli.stdout, `the CLI printed nothing: ${cli.stderr}`);
    const expected = JSON.parse(cli.stdout);
    // The files the CLI sees: the fixture trees it was pointed at, plus the config.
    const files = {};
    for (const a of args.filter((a) => !a.startsWith('-'))) {
      const p = join(dir, a);
      if (existsSync(p)) Object.assign(files, readTree(p, dir));
    }
    if (cwd !== '.') Object.assign(files, readTree(dir, dir));
    for (const t of trees) Object.assign(files, readTree(join(dir, t), dir));
    const got = k.check(files, { ...(cwd === '.' ? { noConfig: true } : {}), ...options });
    assert.ok(expected.findings.length + expected.summary.objects > 0, 'a fixture that checks nothing');
    assert.deepEqual(normalize(got), normalize(expected));
  });
}
