// The Portal demo: the file set lives here, kvet runs in a Worker, findings are listed and
// highlighted on their lines.
const $ = (id) => document.getElementById(id);
const PASTE = 'pasted.yaml';
const EXAMPLE = `apiVersion: v1
kind: Pod
metadata:
  name: demo
spec:
  containers:
    - name: app
      image: registry.example.com/app:1.2.3
`;

let files = { [PASTE]: EXAMPLE };
let current = PASTE;
let findings = [];
let worker;
let nextId = 0;
const pending = new Map();

function startWorker() {
  worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = ({ data }) => {
    const done = pending.get(data.id);
    pending.delete(data.id);
    if (!done) return;
    if (data.error) {
      if (data.error.internal) startWorker();
      done.reject(data.error);
    } else done.resolve(data);
  };
}

function ask(kind, payload = {}) {
  const id = ++nextId;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, kind, ...payload });
  });
}

function options() {
  const sets = [...document.querySelectorAll('#sets input:checked')].map((i) => i.value);
  return { kubernetesVersion: $('version').value, policySets: sets.length ? sets : ['none'] };
}

let seq = 0;
async function run() {
  const mine = ++seq;
  $('status').textContent = 'checking…';
  try {
    const { result, ms } = await ask('check', { files, options: options() });
    if (mine !== seq) return;
    findings = result.findings;
    $('error').hidden = true;
    $('status').textContent = `checked ${result.summary.objects} objects in ${ms.toFixed(0)} ms`;
    showFindings(result);
  } catch (e) {
    if (mine !== seq) return;
    findings = [];
    showFindings(null);
    $('error').hidden = false;
    $('error').textContent = e.file ? `${e.message}` : e.message;
    $('status').textContent = 'error';
  }
  paint();
}

let timer;
function schedule() {
  clearTimeout(timer);
  timer = setTimeout(run, 250);
}

function showFindings(report) {
  const list = $('findings');
  list.replaceChildren();
  $('count').textContent = report ? `(${findings.length})` : '';
  for (const f of findings) {
    const li = document.createElement('li');
    li.className = `finding ${f.severity}`;
    li.dataset.file = f.location.file;
    li.dataset.line = f.location.line;
    const sev = document.createElement('span');
    sev.className = `sev ${f.severity}`;
    sev.textContent = f.severity;
    const where = document.createElement('span');
    where.className = 'where';
    where.textContent = ` ${f.location.file}:${f.location.line} [${f.rule}] `;
    const msg = document.createElement('span');
    msg.className = 'message';
    msg.textContent = f.message;
    li.append(sev, where, msg);
    li.onclick = () => reveal(f.location.file, f.location.line);
    list.append(li);
  }
  const body = $('summary').tBodies[0];
  body.replaceChildren();
  for (const [rule, n] of Object.entries(report?.summary.byRule ?? {})) {
    const tr = document.createElement('tr');
    tr.innerHTML = '<td></td><td></td>';
    tr.cells[0].textContent = rule;
    tr.cells[1].textContent = n;
    body.append(tr);
  }
}

function reveal(file, line) {
  if (file in files && typeof files[file] === 'string') {
    showFile(file);
    const ta = $('text');
    const lineHeight = parseFloat(getComputedStyle(ta).lineHeight);
    ta.scrollTop = Math.max(0, (line - 3) * lineHeight);
  }
}

/** Draws line numbers and the highlighted lines of the file in the editor. */
function paint() {
  const text = typeof files[current] === 'string' ? files[current] : '';
  const lines = text.split('\n');
  const marks = new Map();
  const rank = { info: 1, warning: 2, error: 3 };
  for (const f of findings) {
    if (f.location.file !== current || !f.location.line) continue;
    for (let l = f.location.line; l <= Math.max(f.location.line, f.location.endLine || 0); l++) {
      if (!marks.has(l) || rank[f.severity] > rank[marks.get(l)]) marks.set(l, f.severity);
    }
  }
  const back = $('backdrop');
  back.replaceChildren(...lines.map((l, i) => {
    const d = document.createElement('div');
    d.dataset.line = i + 1;
    if (marks.has(i + 1)) d.className = `hl ${marks.get(i + 1)}`;
    d.textContent = l || ' ';
    return d;
  }));
  $('gutter').textContent = lines.map((_, i) => i + 1).join('\n');
  syncScroll();
}

function syncScroll() {
  $('backdrop').scrollTop = $('text').scrollTop;
  $('backdrop').scrollLeft = $('text').scrollLeft;
  $('gutter').scrollTop = $('text').scrollTop;
}

function showFile(name) {
  current = name;
  const sel = $('file');
  sel.replaceChildren(...Object.keys(files).sort().map((n) => new Option(typeof files[n] === 'string' ? n : `${n} (binary)`, n)));
  sel.value = name;
  const ta = $('text');
  ta.value = typeof files[name] === 'string' ? files[name] : '';
  ta.readOnly = typeof files[name] !== 'string';
  paint();
}

async function readEntry(entry, out) {
  if (entry.isFile) {
    const file = await new Promise((res, rej) => entry.file(res, rej));
    out.push([entry.fullPath.replace(/^\//, ''), file]);
  } else if (entry.isDirectory) {
    const reader = entry.createReader();
    for (;;) {
      const batch = await new Promise((res, rej) => reader.readEntries(res, rej));
      if (!batch.length) break;
      for (const e of batch) await readEntry(e, out);
    }
  }
}

// ignoreBOM keeps a byte order mark in the text, so offsets match the file's bytes.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Replaces the file set with dropped or chosen files: folders keep their paths, archives and
 * other binary files stay bytes, the rest (manifests, templates, generator inputs) is text.
 */
async function addFiles(pairs) {
  const next = {};
  for (const [path, file] of pairs) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    if (/\.(tgz|tar\.gz|gz)$/.test(path)) {
      next[path] = bytes;
      continue;
    }
    try {
      next[path] = UTF8.decode(bytes);
    } catch {
      next[path] = bytes;
    }
  }
  if (!Object.keys(next).length) return;
  files = next;
  const first = Object.keys(files).sort().find((n) => typeof files[n] === 'string') ?? Object.keys(files)[0];
  showFile(first);
  run();
}

function setup(about) {
  const v = $('version');
  for (const ver of [...about.kubernetesVersions].reverse()) v.append(new Option(ver, ver));
  const sets = $('sets');
  for (const p of about.policies) {
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.value = p.id;
    box.checked = about.defaultPolicySets.includes(p.id);
    box.onchange = run;
    label.title = p.title;
    label.append(box, ` ${p.id}`);
    sets.append(label);
  }
  v.onchange = run;
  $('text').addEventListener('input', () => {
    if (typeof files[current] !== 'string') return;
    files[current] = $('text').value;
    paint();
    schedule();
  });
  $('text').addEventListener('scroll', syncScroll);
  $('file').onchange = () => showFile($('file').value);
  $('reset').onclick = () => {
    files = { [PASTE]: '' };
    showFile(PASTE);
    run();
  };
  const drop = $('drop');
  drop.ondragover = (e) => { e.preventDefault(); drop.classList.add('over'); };
  drop.ondragleave = () => drop.classList.remove('over');
  drop.ondrop = async (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const pairs = [];
    for (const item of e.dataTransfer.items) {
      const entry = item.webkitGetAsEntry?.();
      if (entry) await readEntry(entry, pairs);
      else if (item.kind === 'file') { const f = item.getAsFile(); pairs.push([f.name, f]); }
    }
    await addFiles(pairs);
  };
  // A chosen folder keeps its name and inner paths, as a dropped one does.
  for (const input of [$('folder'), $('pick')]) {
    input.onchange = async () => {
      await addFiles([...input.files].map((f) => [f.webkitRelativePath || f.name, f]));
      input.value = '';
    };
  }
  showFile(PASTE);
  run();
}

startWorker();
ask('about').then(({ result }) => setup(result), (e) => { $('status').textContent = `kvet failed to load: ${e.message}`; });
// For tests: the page's state.
window.kvetDemo = { get findings() { return findings; }, run, addFiles };
