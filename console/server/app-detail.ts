// An app's page: the WorkflowApp from the watch cache, plus what only the API has right now — its
// pods, its events and the ConfigMap its config lives in — and the module/pipeline diagram of that
// config. The config is parsed as plain YAML (no imports: they would read files on this host).
import { CoreV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { parse, stringify } from 'yaml';
import { inspectConfig, configName, type WorkflowConfig } from '../../engine/index.ts';
import type { AppDetail } from '../api-types.ts';
import { appDiagram } from './diagram.ts';
import { appSummary, conditionsOf, eventView, podView, sortEvents } from './views.ts';

const instanceLabel = 'app.kubernetes.io/instance';
const nameLabel = 'app.kubernetes.io/name';
const maxEvents = 50;

type Obj = Record<string, unknown>;

export class AppDetails {
  private readonly core: CoreV1Api;

  constructor(kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  /** Pods of an app, by the labels the operator puts on them. */
  async pods(namespace: string, name: string): Promise<KubernetesObject[]> {
    const list = await this.core.listNamespacedPod({
      namespace,
      labelSelector: `${instanceLabel}=${name},${nameLabel}=workflow-engine`,
    });
    return list.items as KubernetesObject[];
  }

  async detail(app: KubernetesObject): Promise<AppDetail> {
    const o = app as unknown as Obj;
    const namespace = app.metadata?.namespace ?? 'default';
    const name = app.metadata?.name ?? '';
    const spec = (o.spec ?? {}) as Obj;
    const status = (o.status ?? {}) as Obj;
    const [pods, events, config] = await Promise.all([
      this.pods(namespace, name),
      this.core.listNamespacedEvent({ namespace }).then((l) => l.items),
      this.config(namespace, spec),
    ]);
    const podNames = new Set(pods.map((p) => p.metadata?.name));
    // the app's own events, and those of the objects it owns (Deployments, ReplicaSets, pods)
    const ours = events.filter((e) => {
      const involved = e.involvedObject ?? {};
      return (
        (involved.kind === 'WorkflowApp' && involved.name === name) ||
        podNames.has(involved.name) ||
        ((involved.kind === 'Deployment' || involved.kind === 'ReplicaSet' || involved.kind === 'Service') &&
          (involved.name === name || involved.name?.startsWith(`${name}-`)))
      );
    });
    let diagram: AppDetail['diagram'] = null;
    let configError = config.error;
    if (config.text !== null) {
      try {
        const parsed = parse(config.text) as unknown;
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
          const cfg = parsed as WorkflowConfig;
          diagram = appDiagram(inspectConfig(cfg, configName(cfg, name), []));
        } else configError = 'the config is not a YAML mapping';
      } catch (err) {
        configError = `the config is not valid YAML: ${(err as Error).message}`;
      }
    }
    const { managedFields: _managed, ...metadata } = app.metadata ?? {};
    return {
      app: appSummary(app),
      conditions: conditionsOf(status),
      rollout: (status.rollout as Record<string, unknown> | undefined) ?? null,
      resolvedPlugins: Array.isArray(status.resolvedPlugins)
        ? (status.resolvedPlugins as AppDetail['resolvedPlugins'])
        : [],
      pods: pods.map(podView).sort((a, b) => a.name.localeCompare(b.name)),
      events: sortEvents(ours.map(eventView)).slice(0, maxEvents),
      configYaml: config.text,
      configError,
      diagram,
      manifestYaml: stringify({ ...o, metadata }),
    };
  }

  private async config(namespace: string, spec: Obj): Promise<{ text: string | null; error: string | null }> {
    if (typeof spec.config === 'string') return { text: spec.config, error: null };
    const ref = spec.configMapRef as { name?: string; key?: string } | undefined;
    if (!ref?.name) return { text: null, error: 'the app has neither spec.config nor spec.configMapRef' };
    const key = ref.key ?? 'workflow.yaml';
    try {
      const cm = await this.core.readNamespacedConfigMap({ namespace, name: ref.name });
      const text = cm.data?.[key];
      return text === undefined
        ? { text: null, error: `ConfigMap ${namespace}/${ref.name} has no key ${key}` }
        : { text, error: null };
    } catch (err) {
      const code = (err as { code?: number }).code;
      return {
        text: null,
        error:
          code === 404
            ? `ConfigMap ${namespace}/${ref.name} does not exist`
            : `cannot read ConfigMap ${namespace}/${ref.name}: ${(err as Error).message}`,
      };
    }
  }
}
