/** File contents by path (relative, `/`-separated): text or bytes (a .tgz chart). */
export type Files = Record<string, string | Uint8Array | ArrayBuffer> | Map<string, string | Uint8Array | ArrayBuffer>;

export type Severity = 'error' | 'warning' | 'info';

/** Where a finding is: 1-based lines and columns, byte offset and length in the file. */
export interface Location {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  offset: number;
  length: number;
}

export interface ObjectId {
  apiVersion: string;
  kind: string;
  name?: string;
  namespace?: string;
}

/** One finding, as `kvet check --output json` prints it. */
export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  location: Location;
  object?: ObjectId;
  pointer?: string;
  document?: number;
  /** For chart output: where in the rendered document the finding is. */
  rendered?: Location;
  [key: string]: unknown;
}

export interface Report {
  kubernetesVersion: string;
  findings: Finding[];
  waived: { finding: Finding; approvedBy: string; reason: string }[];
  summary: {
    files: number;
    objects: number;
    validated: number;
    skipped: number;
    waived: number;
    errors: number;
    warnings: number;
    infos: number;
    byRule: Record<string, number>;
    byKind: Record<string, number>;
  };
}

/** Helm rendering options (`helm template`'s flags). */
export interface ChartOptions {
  releaseName?: string;
  namespace?: string;
  /** Values files: paths in the file set, merged in order. */
  values?: string[];
  set?: string[];
  setString?: string[];
  setJson?: string[];
  /** KEY=PATH, the path in the file set. */
  setFile?: string[];
  apiVersions?: string[];
  includeCrds?: boolean;
  helm3Order?: boolean;
  kubeVersion?: string;
  showOnly?: string[];
  skipTests?: boolean;
  noHooks?: boolean;
}

/** `kvet check`'s options; paths name files in the set. */
export interface CheckOptions {
  /** Roots to check (default: the whole set, plus .tgz charts at its top level). */
  paths?: string[];
  /** 1.NN; default: the config's, else the newest embedded. */
  kubernetesVersion?: string;
  strict?: boolean;
  ignoreMissingSchemas?: boolean;
  skipKinds?: string[];
  onlyKinds?: string[];
  /** CustomResourceDefinition files or directories in the set. */
  crds?: string[];
  /** Built-in policy sets (`["none"]` for none); replaces the default and the config's. */
  policySets?: string[];
  /** Extra Rego modules. */
  policies?: { path: string; text: string }[];
  /** Rego files, Gatekeeper templates or directories of them, in the set. */
  policyPaths?: string[];
  /** YAML/JSON files in the set merged into `data`. */
  data?: string[];
  /** Parameters of the built-in policies by policy id, over the config's. */
  parameters?: Record<string, unknown>;
  namespaces?: string[];
  allNamespaces?: boolean;
  pssVersion?: string;
  combine?: boolean;
  /** Milliseconds per object (0: none). */
  policyTimeout?: number;
  /** .kvet.yaml text; default: .kvet.yaml at the set's root. */
  config?: string;
  configPath?: string;
  noConfig?: boolean;
  /** Exceptions file in the set (default: .kvet/exceptions.yaml). */
  exceptions?: string;
  chart?: ChartOptions;
  /** YYYY-MM-DD for exception expiry (default: today). */
  today?: string;
  /**
   * Image facts (`data.kvet.images`) from an evidence file in the set, written by
   * `kvet images fetch`: no registry is called. Turns on image-signed unless policy sets are
   * named. Keys are paths in the set, `NAME=PATH` to name them for policies. Keyless
   * signatures need `fulcioRoots` (PEM files in the set), `rekorKeys`, and one identity: its
   * subject and OIDC issuer, each exact or a regular expression.
   */
  images?: {
    evidence: string;
    cosignKeys?: string[];
    rekorKeys?: string[];
    rekorRequired?: boolean;
    fulcioRoots?: string[];
    certificateIdentity?: string;
    certificateIdentityRegexp?: string;
    certificateOidcIssuer?: string;
    certificateOidcIssuerRegexp?: string;
  };
}

export interface RenderOptions extends ChartOptions {
  /** The chart: a directory of the set holding Chart.yaml, or a .tgz in it. */
  chart?: string;
  /** Or a directory of the set holding a kustomization, built as `kubectl kustomize` does. */
  kustomization?: string;
}

export interface Rendered {
  manifest: string;
  /** Charts: NOTES.txt and each rendered template. */
  notes?: string;
  documents?: { source: string; text: string }[];
  /** Kustomizations: kustomize's warnings (deprecated fields, unused vars), located. */
  warnings?: { message: string; file: string; line: number; column: number }[];
}

export interface About {
  kubernetesVersions: string[];
  defaultPolicySets: string[];
  policies: { id: string; title: string }[];
}

export class KvetError extends Error {
  file?: string;
  line?: number;
  column?: number;
  /** A panic inside the module: load it again in a new worker or page. */
  internal: boolean;
}

export function load(
  source?: string | URL | Response | BufferSource | WebAssembly.Module,
  options?: { warm?: CheckOptions | false },
): Promise<void>;
export function warm(options?: CheckOptions): void;
export function check(files: Files, options?: CheckOptions): Report;
export function render(files: Files, options: RenderOptions): Rendered;
export function about(): About;
/** Checkers and policy sets built so far; a check that finds them warm changes neither. */
export function compilations(): { checkers: number; policies: number };
