// The registry a wfctl command talks to: --registry URL, else WFCTL_REGISTRY_URL, else the local
// default; its errors become user errors carrying the server's own hint.
import type { RegistryClient } from '../registry-index/index.ts';
import { CliError } from './output.ts';

export const loadRegistry = () => import('../registry-index/index.ts');
export const defaultRegistry = 'http://127.0.0.1:8090';

export async function client(url: string | undefined): Promise<RegistryClient> {
  const baseUrl = url ?? process.env.WFCTL_REGISTRY_URL ?? defaultRegistry;
  if (!/^https?:\/\//.test(baseUrl))
    throw new CliError(`registry URL "${baseUrl}" must start with http:// or https://`);
  const { RegistryClient } = await loadRegistry();
  return new RegistryClient({ baseUrl, token: process.env.WFCTL_REGISTRY_TOKEN });
}

/** Registry errors become user errors with the server's own hint. */
export async function call<T>(fn: () => Promise<T>): Promise<T> {
  const { RegistryError } = await loadRegistry();
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RegistryError) {
      const hint =
        err.status === 404 && /plugin ".*" not found/.test(err.message)
          ? 'find the name with: wfctl plugin search <words>'
          : err.hint;
      throw new CliError(err.message, { hint });
    }
    throw err;
  }
}
