// The two webhook configurations the operator registers (and keeps registered: it applies them with
// the current caBundle at start and after each certificate rotation), pure.
//
// Failure policy, and why: the validating webhook is Fail. It enforces licenses and quotas, and
// Ignore would let anything in while the operator is down. The cost is that WorkflowApp creates and
// updates are refused while no operator replica answers (running apps are untouched: the rules match
// only WorkflowApps, and deletes are not sent). Two replicas and a 5 s timeout keep that window
// short; kube-system and the operator's own namespace are excluded so the operator can always be
// repaired. The mutating webhook only defaults the tenant label, which the validating one does not
// need (it reads the tenant from the namespace), so it is Ignore.
import type { KubernetesObject } from '@kubernetes/client-node';
import * as api from '../api/constants.ts';
import { webhookPaths } from './server.ts';

export const webhookConfigurationNames = {
  validating: 'workflow-license',
  mutating: 'workflow-tenant-defaults',
} as const;

export const webhookNames = {
  validating: `license.${api.group}`,
  mutating: `tenant-defaults.${api.group}`,
} as const;

/** Where the API server reaches the webhooks: a Service (in a cluster) or a URL (an operator run outside). */
export type WebhookEndpoint = { service: { namespace: string; name: string; port?: number } } | { url: string };

export interface WebhookConfigOptions {
  endpoint: WebhookEndpoint;
  /** PEM of the CA(s) that signed the serving certificate. */
  caPem: string;
  /** Namespaces never sent to the webhooks (the operator's own, kube-system). */
  excludedNamespaces: string[];
  failurePolicy?: 'Fail' | 'Ignore';
  timeoutSeconds?: number;
}

function clientConfig(endpoint: WebhookEndpoint, path: string, caBundle: string) {
  if ('url' in endpoint) return { url: `${endpoint.url.replace(/\/+$/, '')}${path}`, caBundle };
  return { service: { ...endpoint.service, port: endpoint.service.port ?? 443, path }, caBundle };
}

export function renderWebhookConfigurations(o: WebhookConfigOptions): KubernetesObject[] {
  const caBundle = Buffer.from(o.caPem).toString('base64');
  const namespaceSelector = {
    matchExpressions: [
      { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [...new Set(o.excludedNamespaces)].sort() },
    ],
  };
  const labels = { 'app.kubernetes.io/name': 'workflow-operator', [api.labels.managedBy]: api.managedByValue };
  const common = {
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    matchPolicy: 'Equivalent',
    timeoutSeconds: o.timeoutSeconds ?? 5,
    namespaceSelector,
  };
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: webhookConfigurationNames.validating, labels },
      webhooks: [
        {
          name: webhookNames.validating,
          ...common,
          failurePolicy: o.failurePolicy ?? 'Fail',
          clientConfig: clientConfig(o.endpoint, webhookPaths.validate, caBundle),
          rules: [
            {
              apiGroups: [api.group],
              apiVersions: [api.version],
              operations: ['CREATE', 'UPDATE'],
              resources: [api.plural, `${api.plural}/scale`],
              scope: 'Namespaced',
            },
          ],
        },
      ],
    } as KubernetesObject,
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: webhookConfigurationNames.mutating, labels },
      webhooks: [
        {
          name: webhookNames.mutating,
          ...common,
          failurePolicy: 'Ignore',
          reinvocationPolicy: 'Never',
          clientConfig: clientConfig(o.endpoint, webhookPaths.mutate, caBundle),
          rules: [
            {
              apiGroups: [api.group],
              apiVersions: [api.version],
              operations: ['CREATE', 'UPDATE'],
              resources: [api.plural],
              scope: 'Namespaced',
            },
          ],
        },
      ],
    } as KubernetesObject,
  ];
}
