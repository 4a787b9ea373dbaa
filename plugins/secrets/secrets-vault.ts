// secrets.vault (upstream module/secrets_vault.go + secrets/vault_provider.go): a secrets provider
// on a HashiCorp Vault KV v2 engine, registered under the module name for step.secret_fetch,
// step.secret_set, step.secret_rotate and http.client's secret references.
// Keys are `path` or `path#field`: get `path#field` answers that field; get `path` the whole secret
// as JSON (keys sorted, as Go's encoding/json writes a map). set `path` writes {"value": v} as a new
// version (upstream); set `path#field` changes that field only, keeping the others (a check-and-set
// write, so a concurrent change is not overwritten; upstream replaces the secret with {"value": v}).
// rotate stores 32 random bytes, hex encoded, like set.
import { randomBytes } from 'node:crypto';
import {
  ConfigValueError,
  SecretNotFoundError,
  type AppContext,
  type ConfigMap,
  type Module,
  type ModuleFactory,
  type SecretRotator,
  type SecretsProvider,
  type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader, checkedBy } from '../support/index.ts';
import { VaultError, VaultKv2Client } from './vault-kv2.ts';

// vault/api's default client timeout
const REQUEST_TIMEOUT_MS = 60_000;
// a field write loses a check-and-set race only to another writer that succeeded, so N concurrent
// writers of one secret all get through within N attempts
const CAS_ATTEMPTS = 8;

export interface SecretsVaultConfig {
  address: string;
  token: string;
  mountPath: string;
  namespace?: string;
}

export function parseSecretsVault(config: ConfigMap): SecretsVaultConfig {
  const cfg = new ConfigReader(config);
  const mode = cfg.string('mode', 'remote') || 'remote';
  if (mode === 'dev')
    throw new ConfigValueError(
      '"mode: dev" starts a `vault server -dev` child process, which this engine does not do',
      {
        path: ['mode'],
        hint: 'run `vault server -dev -dev-root-token-id=root` yourself; use mode: remote, its address and token',
      },
    );
  if (mode !== 'remote')
    throw new ConfigValueError(`"mode" must be remote (or dev upstream), got "${mode}"`, { path: ['mode'] });
  const address = cfg.requiredString('address', 'address: https://vault.example.com:8200');
  if (!/^https?:\/\/[^/]/.test(address) || !URL.canParse(address))
    throw new ConfigValueError(`"address" must be an http(s) URL such as http://127.0.0.1:8200, got "${address}"`, {
      path: ['address'],
    });
  const token = cfg.requiredString('token', 'token: ${VAULT_TOKEN} (from the environment, not written in the file)');
  const mountPath = (cfg.string('mountPath', 'secret') || 'secret').replace(/^\/+|\/+$/g, '');
  return { address, token, mountPath, namespace: cfg.string('namespace') || undefined };
}

export const secretsVaultSchema: TypeSchema = {
  description: 'Secrets provider on a HashiCorp Vault KV v2 engine (token auth)',
  configFields: [
    { key: 'address', type: 'string', required: true, description: 'Vault URL, e.g. https://vault:8200' },
    { key: 'token', type: 'string', required: true, description: 'Vault token (write ${VAULT_TOKEN})' },
    { key: 'mountPath', type: 'string', default: 'secret', description: 'mount path of the KV v2 engine' },
    { key: 'namespace', type: 'string', description: 'Vault Enterprise namespace' },
    {
      key: 'mode',
      type: 'select',
      options: ['remote', 'dev'],
      default: 'remote',
      description: 'dev: not supported here',
    },
  ],
  validate: checkedBy(parseSecretsVault),
};

/** Splits "path#field" at the last "#" (upstream parseVaultKey). */
export function parseVaultKey(key: string): { path: string; field?: string } {
  const at = key.lastIndexOf('#');
  return at < 0 ? { path: key } : { path: key.slice(0, at), field: key.slice(at + 1) };
}

export class SecretsVaultModule implements Module, SecretsProvider, SecretRotator {
  readonly type = 'secrets.vault';
  private readonly client: VaultKv2Client;

  constructor(
    readonly name: string,
    private readonly cfg: SecretsVaultConfig,
  ) {
    this.client = new VaultKv2Client({
      address: cfg.address,
      token: cfg.token,
      mount: cfg.mountPath,
      namespace: cfg.namespace,
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
  }

  start(app: AppContext): void {
    // as upstream, nothing is contacted at start: a Vault that is down fails the steps that use it
    app.logger.info({ module: this.name, address: this.cfg.address, mount: this.cfg.mountPath }, 'vault secrets ready');
  }

  async getSecret(key: string): Promise<string> {
    const { path, field } = this.checkedKey(key);
    const secret = await this.client.read(path);
    if (!secret) throw new SecretNotFoundError(`vault: no secret at "${path}" (mount "${this.cfg.mountPath}")`);
    if (field === undefined) return sortedJson(secret.data);
    if (!Object.hasOwn(secret.data, field))
      throw new SecretNotFoundError(`vault: secret "${path}" has no field "${field}"`);
    return fieldText(secret.data[field]);
  }

  async setSecret(key: string, value: string): Promise<void> {
    const { path, field } = this.checkedKey(key);
    if (field === undefined) {
      await this.client.write(path, { value });
      return;
    }
    // read, change the field, write if nobody wrote in between (check-and-set); else read again
    for (let attempt = 1; ; attempt++) {
      const current = await this.client.read(path);
      try {
        await this.client.write(path, { ...current?.data, [field]: value }, current?.version ?? 0);
        return;
      } catch (err) {
        if (attempt >= CAS_ATTEMPTS || !(err instanceof VaultError && err.isCasMismatch)) throw err;
      }
    }
  }

  async rotateSecret(key: string): Promise<string> {
    const value = randomBytes(32).toString('hex');
    await this.setSecret(key, value);
    return value;
  }

  private checkedKey(key: string): { path: string; field?: string } {
    const parsed = parseVaultKey(key);
    if (parsed.path.replace(/\//g, '') === '' || parsed.field === '')
      throw new Error(`vault: invalid key "${key}": write "path" or "path#field"`);
    return parsed;
  }
}

/** A field as text: strings as they are, other scalars printed, objects as JSON. */
function fieldText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? sortedJson(v) : String(v);
}

function sortedJson(v: unknown): string {
  return JSON.stringify(v, (_k, value: unknown) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
}

export const createSecretsVault: ModuleFactory = (spec) =>
  new SecretsVaultModule(spec.name, parseSecretsVault(spec.config));
