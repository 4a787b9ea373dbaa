// A kustomization.yaml rendered the way `kustomize build` would for what a WorkflowSource syncs:
// resources (files, and directories with their own kustomization, inside the repository), namePrefix
// and nameSuffix (references from WorkflowApps to renamed ConfigMaps and Secrets follow), namespace,
// commonLabels / labels, commonAnnotations, and patches (strategic-merge patches are applied as JSON
// merge patches, as kustomize does for custom resources: lists are replaced; JSON 6902 patches by
// fast-json-patch). Anything else in the file is reported as unsupported, with its line, and the
// kustomization is not applied: it would not render to what its author meant.
import jsonpatch from 'fast-json-patch';
import { parseDocuments, type FileProblem, type SourceDocument } from './documents.ts';
import type { RepoTree } from './repo-tree.ts';

export const supportedKustomizationFields = [
  'apiVersion',
  'kind',
  'resources',
  'bases',
  'namePrefix',
  'nameSuffix',
  'namespace',
  'commonLabels',
  'labels',
  'commonAnnotations',
  'patches',
  'patchesStrategicMerge',
  'patchesJson6902',
] as const;

export const kustomizationNames = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** A rendered object: where it came from, and its value after the kustomization's transforms. */
export interface RenderedDocument extends SourceDocument {}

// biome-ignore lint/suspicious/noExplicitAny: kustomize transforms walk arbitrary Kubernetes objects parsed from YAML
type Obj = Record<string, any>;

export async function findKustomization(tree: RepoTree, dir: string): Promise<string | undefined> {
  const entries = await tree.list(dir);
  const name = kustomizationNames.find((n) => entries?.some((e) => e.type === 'file' && e.name === n));
  return name === undefined ? undefined : join(dir, name);
}

function join(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name;
}

/** `base/../x` -> `x`; undefined when the path leaves the repository. */
export function resolvePath(dir: string, rel: string): string | undefined {
  const parts = dir ? dir.split('/') : [];
  for (const p of rel.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(p);
  }
  return parts.join('/');
}

export async function renderKustomization(
  tree: RepoTree,
  dir: string,
  visiting: Set<string> = new Set(),
): Promise<{ documents: RenderedDocument[]; problems: FileProblem[] }> {
  const file = await findKustomization(tree, dir);
  if (!file) return { documents: [], problems: [{ file: dir || '.', message: 'no kustomization.yaml here' }] };
  if (visiting.has(dir)) return { documents: [], problems: [{ file, message: 'kustomizations include each other' }] };
  visiting.add(dir);
  try {
    return await render(tree, dir, file, visiting);
  } finally {
    visiting.delete(dir);
  }
}

async function render(
  tree: RepoTree,
  dir: string,
  file: string,
  visiting: Set<string>,
): Promise<{ documents: RenderedDocument[]; problems: FileProblem[] }> {
  const parsed = parseDocuments(file, (await tree.read(file)) ?? '');
  if (parsed.problems.length) return { documents: [], problems: parsed.problems };
  const doc = parsed.documents[0];
  const k = (doc?.value ?? {}) as Obj;
  if (!doc || typeof k !== 'object' || Array.isArray(k))
    return { documents: [], problems: [{ file, line: 1, message: 'a kustomization must be a YAML mapping' }] };
  const problems: FileProblem[] = [];
  for (const key of Object.keys(k)) {
    if (!(supportedKustomizationFields as readonly string[]).includes(key)) {
      problems.push({
        file,
        line: doc.lineOf([key]),
        message:
          `kustomization field "${key}" is not supported by WorkflowSource ` +
          `(supported: ` +
          `${supportedKustomizationFields.filter((f) => f !== 'apiVersion' && f !== 'kind').join(', ')}); ` +
          'render it in CI and commit the output, or remove the field',
      });
    }
  }
  if (problems.length) return { documents: [], problems };

  // 1. resources: files and directories (which need a kustomization of their own)
  let documents: RenderedDocument[] = [];
  const resources = [...asList(k.resources), ...asList(k.bases)];
  for (const [i, entry] of resources.entries()) {
    const line = doc.lineOf([k.resources ? 'resources' : 'bases', i]);
    if (typeof entry !== 'string' || /^[a-z]+:\/\//i.test(entry) || entry.startsWith('git@')) {
      problems.push({
        file,
        line,
        message: `resource ${JSON.stringify(entry)}: only paths inside the repository are supported`,
      });
      continue;
    }
    const path = resolvePath(dir, entry);
    if (path === undefined) {
      problems.push({ file, line, message: `resource "${entry}" leaves the repository` });
      continue;
    }
    const text = await tree.read(path);
    if (text !== undefined) {
      const p = parseDocuments(path, text);
      problems.push(...p.problems);
      documents.push(...p.documents);
      continue;
    }
    if (!(await tree.list(path))) {
      problems.push({ file, line, message: `resource "${entry}" does not exist` });
      continue;
    }
    const sub = await renderKustomization(tree, path, visiting);
    problems.push(...sub.problems);
    documents.push(...sub.documents);
  }
  if (problems.length) return { documents: [], problems };

  // 2. patches, against the names the resources have at this level
  const patchProblems = await applyPatches(tree, dir, file, doc, k, documents);
  if (patchProblems.length) return { documents: [], problems: patchProblems };

  // 3. namespace, names, labels, annotations
  const renamed = new Map<string, string>();
  documents = documents.map((d) => {
    const value = structuredClone(d.value) as Obj;
    if (!isObject(value)) return d;
    value.metadata = isObject(value.metadata) ? value.metadata : {};
    if (typeof k.namespace === 'string') value.metadata.namespace = k.namespace;
    if (typeof value.metadata.name === 'string' && (k.namePrefix || k.nameSuffix)) {
      const next = `${k.namePrefix ?? ''}${value.metadata.name}${k.nameSuffix ?? ''}`;
      if (value.kind === 'ConfigMap' || value.kind === 'Secret')
        renamed.set(`${value.kind}/${value.metadata.name}`, next);
      value.metadata.name = next;
    }
    const labels = { ...stringMap(k.commonLabels), ...labelPairs(k.labels) };
    if (Object.keys(labels).length) value.metadata.labels = { ...stringMap(value.metadata.labels), ...labels };
    const annotations = stringMap(k.commonAnnotations);
    if (Object.keys(annotations).length)
      value.metadata.annotations = { ...stringMap(value.metadata.annotations), ...annotations };
    return { ...d, value };
  });
  if (renamed.size) for (const d of documents) rewriteReferences(d.value as Obj, renamed);
  return { documents, problems: [] };
}

async function applyPatches(
  tree: RepoTree,
  dir: string,
  file: string,
  doc: SourceDocument,
  k: Obj,
  documents: RenderedDocument[],
): Promise<FileProblem[]> {
  const problems: FileProblem[] = [];
  interface Patch {
    body: unknown;
    target?: Obj;
    line: number;
    what: string;
  }
  const patches: Patch[] = [];
  const load = async (entry: Obj | string, field: string, i: number): Promise<void> => {
    const line = doc.lineOf([field, i]);
    let text: string | undefined;
    let what: string;
    if (typeof entry === 'string' || typeof entry.path === 'string') {
      const rel = typeof entry === 'string' ? entry : (entry.path as string);
      // patchesStrategicMerge also takes an inline patch as a string
      if (typeof entry === 'string' && /\n|^\s*\{/.test(entry)) {
        text = entry;
        what = `${field}[${i}]`;
      } else {
        const path = resolvePath(dir, rel);
        text = path === undefined ? undefined : await tree.read(path);
        what = rel;
        if (text === undefined) {
          problems.push({ file, line, message: `patch file "${rel}" does not exist` });
          return;
        }
      }
    } else if (typeof entry.patch === 'string') {
      text = entry.patch;
      what = `${field}[${i}]`;
    } else {
      problems.push({ file, line, message: `${field}[${i}]: give a path or a patch` });
      return;
    }
    const parsed = parseDocuments(what, text);
    if (parsed.problems.length) {
      problems.push(...parsed.problems.map((p) => ({ ...p, file, line, message: `patch ${what}: ${p.message}` })));
      return;
    }
    for (const d of parsed.documents) {
      patches.push({
        body: d.value,
        target: typeof entry === 'object' ? (entry.target as Obj) : undefined,
        line,
        what,
      });
    }
  };
  for (const [i, e] of asList(k.patchesStrategicMerge).entries()) await load(e as Obj, 'patchesStrategicMerge', i);
  for (const [i, e] of asList(k.patchesJson6902).entries()) await load(e as Obj, 'patchesJson6902', i);
  for (const [i, e] of asList(k.patches).entries()) await load(e as Obj, 'patches', i);
  if (problems.length) return problems;

  for (const p of patches) {
    const target = p.target ?? (isObject(p.body) ? targetOfPatch(p.body as Obj) : undefined);
    if (!target) {
      problems.push({ file, line: p.line, message: `patch ${p.what}: a JSON 6902 patch needs a target` });
      continue;
    }
    let matched = 0;
    for (const d of documents) {
      if (!matches(d.value as Obj, target)) continue;
      matched++;
      try {
        d.value = Array.isArray(p.body)
          ? jsonpatch.applyPatch(structuredClone(d.value), p.body as jsonpatch.Operation[], true, false).newDocument
          : mergePatch(d.value, p.body);
      } catch (err) {
        problems.push({ file, line: p.line, message: `patch ${p.what}: ${(err as Error).message.split('\n')[0]}` });
      }
    }
    if (matched === 0)
      problems.push({
        file,
        line: p.line,
        message: `patch ${p.what} matches no resource (target ${JSON.stringify(target)})`,
      });
  }
  return problems;
}

function targetOfPatch(body: Obj): Obj | undefined {
  if (typeof body.kind !== 'string' || typeof body.metadata?.name !== 'string') return undefined;
  const group =
    typeof body.apiVersion === 'string' && body.apiVersion.includes('/') ? body.apiVersion.split('/')[0] : '';
  return { group, kind: body.kind, name: body.metadata.name, namespace: body.metadata.namespace };
}

function matches(obj: Obj, target: Obj): boolean {
  if (!isObject(obj)) return false;
  const [group, version] =
    typeof obj.apiVersion === 'string' && obj.apiVersion.includes('/')
      ? obj.apiVersion.split('/')
      : ['', obj.apiVersion];
  const eq = (want: unknown, have: unknown) =>
    want === undefined ||
    want === null ||
    (typeof want === 'string' && new RegExp(`^(?:${want})$`).test(String(have ?? '')));
  if (!eq(target.kind, obj.kind) || !eq(target.name, obj.metadata?.name)) return false;
  if (target.group !== undefined && target.group !== group) return false;
  if (target.version !== undefined && target.version !== version) return false;
  if (target.namespace !== undefined && target.namespace !== obj.metadata?.namespace) return false;
  if (typeof target.labelSelector === 'string') {
    const labels = stringMap(obj.metadata?.labels);
    for (const term of target.labelSelector
      .split(',')
      .map((t: string) => t.trim())
      .filter(Boolean)) {
      const [key, value] = term.split('=').map((s: string) => s.trim());
      if (value === undefined ? !(key! in labels) : labels[key!] !== value) return false;
    }
  }
  return true;
}

/**
 * RFC 7386 JSON merge patch. Hand-written: a dozen lines, and the JSON Patch library does not do
 * merge patches.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Obj = isObject(target) ? { ...(target as Obj) } : {};
  for (const [key, value] of Object.entries(patch as Obj)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/** References from WorkflowApps to ConfigMaps and Secrets this kustomization renamed. */
function rewriteReferences(obj: Obj, renamed: Map<string, string>): void {
  if (obj?.kind !== 'WorkflowApp' || !isObject(obj.spec)) return;
  const fix = (ref: Obj | undefined, kind: 'ConfigMap' | 'Secret') => {
    if (ref && typeof ref.name === 'string') ref.name = renamed.get(`${kind}/${ref.name}`) ?? ref.name;
  };
  const spec = obj.spec as Obj;
  fix(spec.configMapRef, 'ConfigMap');
  fix(spec.licenseSecretRef, 'Secret');
  for (const e of asList(spec.envFrom) as Obj[]) {
    fix(e?.configMapRef, 'ConfigMap');
    fix(e?.secretRef, 'Secret');
  }
  for (const e of asList(spec.env) as Obj[]) {
    fix(e?.valueFrom?.configMapKeyRef, 'ConfigMap');
    fix(e?.valueFrom?.secretKeyRef, 'Secret');
  }
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function isObject(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function stringMap(v: unknown): Record<string, string> {
  if (!isObject(v)) return {};
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
}

function labelPairs(v: unknown): Record<string, string> {
  return Object.assign({}, ...asList(v).map((l) => stringMap((l as Obj)?.pairs)));
}
