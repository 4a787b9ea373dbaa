// wfctl deploy's pure half: an engine config (or a WorkflowApp manifest) -> the WorkflowApp to apply.
import { parseDocument } from 'yaml';
import * as api from './constants.ts';
import type { StrategyType, WorkflowApp, WorkflowAppSpec } from './types.ts';

export interface DeployOptions {
  /** App name; default: the config's `name`, else the file name. */
  name?: string;
  namespace: string;
  image?: string;
  replicas?: number;
  serviceType?: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  strategy?: StrategyType;
  tenant?: string;
}

/** A DNS label the operator accepts as an app name (at most maxAppNameLength chars). */
export function appNameFrom(text: string): string {
  const name = text
    .toLowerCase()
    .replace(/\.(ya?ml|json)$/, '')
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, api.maxAppNameLength)
    .replace(/-+$/, '');
  return name || 'app';
}

export function isWorkflowAppManifest(value: unknown): value is WorkflowApp {
  return !!value && typeof value === 'object' && (value as { kind?: unknown }).kind === api.kind;
}

/**
 * Builds the WorkflowApp for a file. `fileBase` is the file's name without directories. A file that
 * already is a WorkflowApp keeps its spec; flags override the matching fields either way.
 */
export function workflowAppFromFile(text: string, fileBase: string, opts: DeployOptions): WorkflowApp {
  const parsed = parseDocument(text).toJS() as unknown;
  let app: WorkflowApp;
  if (isWorkflowAppManifest(parsed)) {
    app = structuredClone(parsed);
    app.metadata = {
      ...app.metadata,
      name: opts.name ?? app.metadata?.name ?? appNameFrom(fileBase),
      namespace: app.metadata?.namespace ?? opts.namespace,
    };
  } else {
    const configName = parsed && typeof parsed === 'object' ? (parsed as { name?: unknown }).name : undefined;
    const name = opts.name ?? appNameFrom(typeof configName === 'string' && configName ? configName : fileBase);
    app = {
      apiVersion: api.apiVersion,
      kind: api.kind,
      metadata: { name, namespace: opts.namespace, labels: { [api.labels.managedBy]: 'wfctl' } },
      spec: { config: text },
    };
  }
  const spec: WorkflowAppSpec = { ...app.spec };
  if (opts.image) spec.image = opts.image;
  if (opts.replicas !== undefined) spec.replicas = opts.replicas;
  if (opts.serviceType) spec.service = { ...spec.service, type: opts.serviceType };
  if (opts.strategy) spec.strategy = { ...spec.strategy, type: opts.strategy };
  if (opts.tenant) spec.tenant = opts.tenant;
  return { apiVersion: api.apiVersion, kind: api.kind, metadata: app.metadata, spec };
}
