// renderSource(tree, options) -> the objects a WorkflowSource wants, pure over a RepoTree.
//
//   files under path (include/exclude) | kustomization -> documents -> kind/namespace/tenant rules
//     -> schema checks -> stamped objects (namespace, labels, tracking annotation, desired hash)
//
// Every problem names its file, line and object, and affects only that object (or, for a file that
// does not parse, that file): the good files still sync. A plain engine config (a file with
// `modules:`) becomes a WorkflowApp named after the file, exactly as `wfctl deploy` makes it.
import { posix } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Minimatch } from 'minimatch';
import * as appApi from '../api/constants.ts';
import { workflowAppFromFile } from '../api/from-config.ts';
import { pointerToFieldPath, validateWorkflowAppObject } from '../api/schema.ts';
import * as api from '../api/source-constants.ts';
import type { AllowedKind } from '../api/source-types.ts';
import { stampDesiredHash } from '../render/render.ts';
import { parseDocuments, type SourceDocument } from './documents.ts';
import { findKustomization, kustomizationNames, renderKustomization } from './kustomize.ts';
import type { RepoTree } from './repo-tree.ts';

// biome-ignore lint/suspicious/noExplicitAny: a document parsed from YAML, walked before it is known to be an object
type KubeObject = Record<string, any>;

export interface RenderOptions {
  /** The source: its key goes into the tracking annotation and labels. */
  source: { namespace: string; name: string };
  path?: string;
  include?: string[];
  exclude?: string[];
  /** Namespace of every object (spec.targetNamespace, else the source's). */
  targetNamespace: string;
  tenant?: string;
  allowedKinds?: AllowedKind[];
}

export interface ObjectRef {
  group: string;
  /** API version within the group (v1, v1alpha1), when known. */
  version?: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** An inline engine config to validate, and where its lines are in the file. */
export interface EmbeddedConfig {
  text: string;
  file: string;
  /** File line of the config's first line. */
  firstLine: number;
  /** Columns the config is indented by in the file. */
  indent: number;
}

export interface DesiredObject extends ObjectRef {
  object: KubernetesObject;
  file: string;
  line: number;
  wave: number;
  config?: EmbeddedConfig;
}

export interface RenderProblem extends Partial<ObjectRef> {
  file: string;
  line?: number;
  column?: number;
  message: string;
  /** Refused: a kind, namespace or tenant the source may not sync (known, never pruned). Failed: broken input. */
  status: 'Failed' | 'Refused';
}

export interface Rendered {
  objects: DesiredObject[];
  problems: RenderProblem[];
}

const builtinKinds: AllowedKind[] = [
  { group: appApi.group, kind: appApi.kind },
  { group: '', kind: 'ConfigMap' },
  { group: '', kind: 'Secret' },
];
const manifestFile = /\.(ya?ml|json)$/i;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Normalises spec.path: no leading or trailing slashes, no `.` segments; "" for the root. */
export function normalizeRepoPath(path: string | undefined): string {
  const parts = (path ?? '').split('/').filter((p) => p && p !== '.');
  if (parts.includes('..')) throw new Error(`spec.path "${path}" leaves the repository`);
  return parts.join('/');
}

export function groupOf(apiVersion: unknown): string {
  return typeof apiVersion === 'string' && apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
}

export function versionOf(apiVersion: unknown): string | undefined {
  return typeof apiVersion === 'string' ? apiVersion.slice(apiVersion.indexOf('/') + 1) : undefined;
}

export function refId(ref: ObjectRef): string {
  return `${ref.group}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

export function describeObject(ref: Partial<ObjectRef>): string {
  return `${ref.kind ?? 'object'} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name ?? '(unnamed)'}`;
}

export async function renderSource(tree: RepoTree, opts: RenderOptions): Promise<Rendered> {
  const problems: RenderProblem[] = [];
  const documents: Array<{ doc: SourceDocument; fileText?: string; docsInFile: number }> = [];
  let base: string;
  try {
    base = normalizeRepoPath(opts.path);
  } catch (err) {
    return { objects: [], problems: [{ file: opts.path ?? '.', message: (err as Error).message, status: 'Failed' }] };
  }
  if (!(await tree.list(base))) {
    return {
      objects: [],
      problems: [
        { file: base || '.', message: `path "${base || '.'}" does not exist in the repository`, status: 'Failed' },
      ],
    };
  }
  const glob = (g: string) => new Minimatch(g, { dot: true, matchBase: !g.includes('/') });
  const include = (opts.include ?? []).map(glob);
  const exclude = (opts.exclude ?? []).map(glob);

  const walk = async (dir: string): Promise<void> => {
    if (await findKustomization(tree, dir)) {
      const k = await renderKustomization(tree, dir);
      problems.push(...k.problems.map((p) => ({ ...p, status: 'Failed' as const })));
      for (const doc of k.documents) documents.push({ doc, docsInFile: 1 });
      return;
    }
    for (const entry of (await tree.list(dir)) ?? []) {
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.name.startsWith('.')) continue; // .github/, .gitlab-ci.yml: not manifests
      if (entry.type === 'dir') {
        await walk(path);
        continue;
      }
      if (!manifestFile.test(entry.name) || kustomizationNames.includes(entry.name)) continue;
      const rel = base ? path.slice(base.length + 1) : path;
      if (include.length && !include.some((m) => m.match(rel))) continue;
      if (exclude.some((m) => m.match(rel))) continue;
      const text = (await tree.read(path)) ?? '';
      const parsed = parseDocuments(path, text);
      problems.push(...parsed.problems.map((p) => ({ ...p, status: 'Failed' as const })));
      for (const doc of parsed.documents) documents.push({ doc, fileText: text, docsInFile: parsed.documents.length });
    }
  };
  await walk(base);

  const objects: DesiredObject[] = [];
  const seen = new Map<string, DesiredObject>();
  for (const { doc, fileText, docsInFile } of documents) {
    const result = toDesired(doc, fileText, docsInFile, opts);
    if ('message' in result) {
      problems.push(result);
      continue;
    }
    const first = seen.get(refId(result));
    if (first) {
      problems.push({
        ...pick(result),
        file: result.file,
        line: result.line,
        status: 'Failed',
        message: `${describeObject(result)} is also defined at ${first.file}:${first.line}; keep one`,
      });
      continue;
    }
    seen.set(refId(result), result);
    objects.push(result);
  }
  return { objects: syncOrder(objects), problems };
}

function pick(ref: ObjectRef): ObjectRef {
  return { group: ref.group, kind: ref.kind, namespace: ref.namespace, name: ref.name };
}

function toDesired(
  doc: SourceDocument,
  fileText: string | undefined,
  docsInFile: number,
  opts: RenderOptions,
): DesiredObject | RenderProblem {
  const at = { file: doc.file, line: doc.line };
  let value = doc.value as KubeObject;
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return {
      ...at,
      status: 'Failed',
      message: 'not a Kubernetes object (expected a mapping with apiVersion and kind)',
    };
  let config: EmbeddedConfig | undefined;
  if (value.kind === undefined && value.apiVersion === undefined && 'modules' in value) {
    // A plain engine config: the WorkflowApp `wfctl deploy FILE` would make of it.
    if (fileText === undefined || docsInFile > 1)
      return {
        ...at,
        status: 'Failed',
        message: 'an engine config (modules:) must be the only document of its own file',
      };
    value = workflowAppFromFile(fileText, posix.basename(doc.file), {
      namespace: opts.targetNamespace,
    }) as unknown as KubeObject;
    delete value.metadata.labels;
    config = { text: fileText, file: doc.file, firstLine: 1, indent: 0 };
  }
  if (typeof value.apiVersion !== 'string' || typeof value.kind !== 'string')
    return {
      ...at,
      status: 'Failed',
      message: 'not a Kubernetes object (no apiVersion and kind) and not an engine config (no modules:)',
    };
  const group = groupOf(value.apiVersion);
  const kind = value.kind as string;
  const name = value.metadata?.name;
  const ref = { group, kind, name: typeof name === 'string' ? name : undefined, namespace: opts.targetNamespace };
  if (typeof name !== 'string' || !dnsSubdomain.test(name) || name.length > 253)
    return {
      ...ref,
      file: doc.file,
      line: doc.lineOf(['metadata', 'name']),
      status: 'Failed',
      message:
        `${kind}: metadata.name ` +
        `${name === undefined ? 'is missing' : `"${name}" is not a valid name (lower-case letters, digits, - and .)`}`,
    };
  const allowed = [...builtinKinds, ...(opts.allowedKinds ?? [])];
  if (!allowed.some((a) => a.kind === kind && (a.group ?? '') === group))
    return {
      ...ref,
      ...at,
      status: 'Refused',
      message:
        `kind ${group ? `${group}/` : ''}${kind} is not synced by a WorkflowSource; list {group: ` +
        `"${group}", kind: ${kind}} in spec.allowedKinds to sync it`,
    };
  const namespace = value.metadata?.namespace;
  if (namespace !== undefined && namespace !== opts.targetNamespace)
    return {
      ...ref,
      file: doc.file,
      line: doc.lineOf(['metadata', 'namespace']),
      status: 'Refused',
      message: `namespace "${namespace}": this source syncs into "${opts.targetNamespace}" (spec.targetNamespace)`,
    };

  const object = structuredClone(value) as KubeObject;
  delete object.status;
  const meta = object.metadata as KubeObject;
  for (const k of ['resourceVersion', 'uid', 'creationTimestamp', 'generation', 'managedFields', 'selfLink'])
    delete meta[k];
  meta.namespace = opts.targetNamespace;

  if (group === appApi.group && kind === appApi.kind) {
    const tenant = object.spec?.tenant;
    if (opts.tenant !== undefined && tenant !== undefined && tenant !== opts.tenant)
      return {
        ...ref,
        file: doc.file,
        line: doc.lineOf(['spec', 'tenant']),
        status: 'Refused',
        message: `spec.tenant "${tenant}": this source belongs to tenant "${opts.tenant}"`,
      };
    if (opts.tenant !== undefined) object.spec = { ...object.spec, tenant: opts.tenant };
    const problem = validateWorkflowAppObject(object)[0];
    if (problem) {
      const path = problem.pointer.split('/').slice(1);
      return {
        ...ref,
        file: doc.file,
        line: config ? doc.line : doc.lineOf(path.map((p) => (/^\d+$/.test(p) ? Number(p) : p))),
        status: 'Failed',
        message: `WorkflowApp ${name}: ${pointerToFieldPath(problem.pointer)}: ${problem.message}`,
      };
    }
    if (!config && typeof object.spec?.config === 'string') {
      const scalar = doc.scalarText(['spec', 'config']);
      config = {
        text: object.spec.config,
        file: doc.file,
        firstLine: scalar?.firstLine ?? doc.line,
        indent: scalar?.indent ?? 0,
      };
    }
  }
  if (group === '' && kind === 'Secret' && object.stringData && typeof object.stringData === 'object') {
    // The API server stores stringData as data; sending data keeps what git says comparable with what is live.
    const data: Record<string, string> = { ...(object.data ?? {}) };
    for (const [k, v] of Object.entries(object.stringData as Record<string, unknown>))
      data[k] = Buffer.from(String(v)).toString('base64');
    object.data = data;
    delete object.stringData;
  }

  const waveText = meta.annotations?.[api.annotations.syncWave];
  const wave = waveText === undefined ? 0 : Number(waveText);
  if (!Number.isInteger(wave))
    return {
      ...ref,
      file: doc.file,
      line: doc.lineOf(['metadata', 'annotations', api.annotations.syncWave]),
      status: 'Failed',
      message: `${api.annotations.syncWave} must be an integer (got ${JSON.stringify(waveText)})`,
    };
  meta.labels = {
    ...(meta.labels ?? {}),
    [api.labels.sourceName]: opts.source.name,
    [api.labels.sourceNamespace]: opts.source.namespace,
    ...(opts.tenant !== undefined ? { [appApi.labels.tenant]: opts.tenant } : {}),
  };
  meta.annotations = {
    ...(meta.annotations ?? {}),
    [api.annotations.source]: `${opts.source.namespace}/${opts.source.name}`,
  };
  return {
    group,
    version: versionOf(value.apiVersion),
    kind,
    namespace: opts.targetNamespace,
    name,
    object: stampDesiredHash(object as KubernetesObject),
    file: doc.file,
    line: doc.line,
    wave,
    config,
  };
}

/** Apply order: ConfigMaps and Secrets first, then by sync wave, then kind and name (stable). */
export function syncOrder<T extends ObjectRef & { wave: number }>(objects: T[]): T[] {
  const phase = (o: T) => (o.group === '' && (o.kind === 'ConfigMap' || o.kind === 'Secret') ? 0 : 1);
  return [...objects].sort(
    (a, b) =>
      phase(a) - phase(b) ||
      a.wave - b.wave ||
      (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}
