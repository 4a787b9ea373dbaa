// The kubeconfig devcluster writes for kubectl and client libraries: one cluster with the CA inline,
// one token user, one context (namespace "default").
import { stringify } from 'yaml';

export interface KubeconfigInput {
  server: string;
  caCertPem: string;
  token: string;
  name?: string;
}

export function renderKubeconfig(input: KubeconfigInput): string {
  const name = input.name ?? 'devcluster';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name,
        cluster: {
          server: input.server,
          'certificate-authority-data': Buffer.from(input.caCertPem).toString('base64'),
        },
      },
    ],
    users: [{ name: `${name}-admin`, user: { token: input.token } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin`, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  });
}
