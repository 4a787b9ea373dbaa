// Webhook admission over HTTPS: the ValidatingWebhookConfigurations and
// MutatingWebhookConfigurations stored in the cluster are consulted on every write. Mutating
// webhooks run one after another (each sees the previous patches), validating ones in parallel.
// Service references resolve through the service's Endpoints (the node agent's loopback ports),
// with the TLS name <service>.<namespace>.svc checked against the caBundle.
import { Agent, request } from 'node:https';
import type { Logger } from 'pino';
import { ApiError } from '../api/errors.ts';
import type { ObjectApi } from '../api/object-api.ts';
import { applyJsonPatch } from '../logic/patch/json-patch.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import type { KubeObject } from '../resources/object-meta.ts';
import type { WatchCache } from '../storage/watch-cache.ts';
import type { Admission, AdmissionAttributes } from './admission.ts';
import {
  admissionReview,
  callFailure,
  denial,
  interpretResponse,
  webhookMatches,
  type Webhook,
} from './webhook-rules.ts';

const CONFIG_KINDS = new Set([
  'admissionregistration.k8s.io/validatingwebhookconfigurations',
  'admissionregistration.k8s.io/mutatingwebhookconfigurations',
]);

interface Target {
  url: URL;
  servername: string;
}

export class WebhookAdmission implements Admission {
  private readonly agents = new Map<string, Agent>();
  /** Webhooks per configuration kind, read once and dropped whenever a configuration changes. */
  private readonly configured = new Map<string, Webhook[]>();
  private readonly stopWatching: () => void;

  constructor(
    private readonly api: () => ObjectApi,
    private readonly catalog: ResourceCatalog,
    cache: WatchCache,
    private readonly logger: Logger,
  ) {
    this.stopWatching = cache.onChange((change) => {
      if (CONFIG_KINDS.has(change.storageKey)) this.configured.clear();
    });
  }

  async mutate(attrs: AdmissionAttributes, warnings: string[]): Promise<KubeObject | null> {
    let object = attrs.object;
    for (const webhook of this.webhooksFor('mutatingwebhookconfigurations', attrs)) {
      const answer = await this.call(webhook, { ...attrs, object });
      if (!answer) continue;
      warnings.push(...answer.warnings);
      if (!answer.allowed) throw denial(webhook.name, answer.status);
      if (answer.patch && object) {
        try {
          object = applyJsonPatch(object, answer.patch) as KubeObject;
        } catch (e) {
          throw new ApiError(
            500,
            'InternalError',
            `Internal error occurred: admission webhook "${webhook.name}" returned a patch that does not ` +
              `apply: ${(e as Error).message}`,
          );
        }
      }
    }
    return object;
  }

  async validate(attrs: AdmissionAttributes, warnings: string[]): Promise<void> {
    const hooks = this.webhooksFor('validatingwebhookconfigurations', attrs);
    const answers = await Promise.all(
      hooks.map(async (webhook) => ({ webhook, answer: await this.call(webhook, attrs) })),
    );
    for (const { answer } of answers) if (answer) warnings.push(...answer.warnings);
    const denied = answers.find(({ answer }) => answer && !answer.allowed);
    if (denied) throw denial(denied.webhook.name, denied.answer!.status);
  }

  close(): void {
    this.stopWatching();
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }

  private webhooksFor(plural: string, attrs: AdmissionAttributes): Webhook[] {
    // as in kube-apiserver, webhook configurations themselves are never subject to webhooks
    if (CONFIG_KINDS.has(attrs.type.storageKey)) return [];
    let hooks = this.configured.get(plural);
    if (!hooks) {
      const type = this.catalog.lookup('admissionregistration.k8s.io', 'v1', plural)!;
      hooks = this.api()
        .list(type, undefined)
        .items.flatMap((c) => (c.webhooks as Webhook[] | undefined) ?? []);
      this.configured.set(plural, hooks);
    }
    if (hooks.length === 0) return [];
    const nsType = this.catalog.lookup('', 'v1', 'namespaces')!;
    const nsLabels = attrs.type.namespaced
      ? this.api().tryGet(nsType, '', attrs.namespace)?.metadata.labels
      : undefined;
    return hooks.filter((h) => webhookMatches(h, attrs, nsLabels));
  }

  /** The webhook's answer, or undefined when it failed and its failurePolicy is Ignore. */
  private async call(webhook: Webhook, attrs: AdmissionAttributes) {
    let target: Target | undefined;
    try {
      target = this.resolve(webhook);
      const { uid, review } = admissionReview(attrs);
      const body = await this.post(target, webhook, review);
      return interpretResponse(body, uid);
    } catch (e) {
      if (e instanceof ApiError) throw e;
      const failure = callFailure(webhook.name, target?.url.href ?? webhookLocation(webhook), e as Error);
      if (webhook.failurePolicy === 'Ignore') {
        this.logger.warn(
          { webhook: webhook.name, err: (e as Error).message },
          'webhook failed; ignored by its failurePolicy',
        );
        return undefined;
      }
      throw failure;
    }
  }

  private resolve(webhook: Webhook): Target {
    const cc = webhook.clientConfig;
    if (cc.url) {
      const url = new URL(cc.url);
      return { url, servername: url.hostname };
    }
    const svc = cc.service!;
    const endpointsType = this.catalog.lookup('', 'v1', 'endpoints')!;
    const endpoints = this.api().tryGet(endpointsType, svc.namespace, svc.name);
    const servicesType = this.catalog.lookup('', 'v1', 'services')!;
    const service = this.api().tryGet(servicesType, svc.namespace, svc.name);
    if (!service) throw new Error(`service "${svc.namespace}/${svc.name}" not found`);
    const wanted = svc.port ?? 443;
    const servicePort = (
      (service.spec as { ports?: Array<{ port: number; name?: string }> } | undefined)?.ports ?? []
    ).find((p) => p.port === wanted);
    for (const subset of (endpoints?.subsets as
      | Array<{ addresses?: Array<{ ip: string }>; ports?: Array<{ port: number; name?: string }> }>
      | undefined) ?? []) {
      const address = subset.addresses?.[0];
      const port = subset.ports?.find((p) => (servicePort?.name ? p.name === servicePort.name : true));
      if (address && port) {
        return {
          url: new URL(`https://${address.ip}:${port.port}${svc.path ?? '/'}`),
          servername: `${svc.name}.${svc.namespace}.svc`,
        };
      }
    }
    throw new Error(`no endpoints available for service "${svc.namespace}/${svc.name}"`);
  }

  private agentFor(webhook: Webhook): Agent {
    const ca = webhook.clientConfig.caBundle
      ? Buffer.from(webhook.clientConfig.caBundle, 'base64').toString('utf8')
      : undefined;
    const key = ca ?? '(system roots)';
    let agent = this.agents.get(key);
    if (!agent) this.agents.set(key, (agent = new Agent({ keepAlive: true, ca, maxSockets: 16 })));
    return agent;
  }

  private post(target: Target, webhook: Webhook, review: object): Promise<unknown> {
    const payload = JSON.stringify(review);
    const timeoutMs = (webhook.timeoutSeconds ?? 10) * 1000;
    return new Promise((resolve, reject) => {
      const req = request(
        target.url,
        {
          method: 'POST',
          agent: this.agentFor(webhook),
          servername: target.servername,
          headers: {
            'Content-Type': 'application/json',
            Accept: 'application/json',
            'Content-Length': Buffer.byteLength(payload),
          },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if ((res.statusCode ?? 0) >= 300)
              return reject(new Error(`the server responded with HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
            try {
              resolve(JSON.parse(text));
            } catch {
              reject(new Error('the response body is not JSON'));
            }
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`context deadline exceeded (timeoutSeconds=${timeoutMs / 1000})`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}

function webhookLocation(webhook: Webhook): string {
  const svc = webhook.clientConfig.service;
  return (
    webhook.clientConfig.url ??
    (svc ? `https://${svc.name}.${svc.namespace}.svc:${svc.port ?? 443}${svc.path ?? ''}` : '')
  );
}
