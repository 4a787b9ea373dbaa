// security.field-protection (upstream module/field_protection.go): the app's protected fields
// (`protected_fields`: name, classification pii|phi, encryption, log_behavior, mask_pattern) and
// the keys to encrypt them. A protected field with `encryption: true` is encrypted wherever it
// appears in a map, down to `scan_depth` levels (and in maps inside lists unless `scan_arrays: false`).
// `master_key` (else $FIELD_ENCRYPTION_KEY; else an all-zero key with a warning, as upstream) seeds the
// per-tenant key ring; with `tenant_isolation` each tenant id gets its own keys, otherwise all use
// "default". step.field_reencrypt uses it to move data to the current key version.
import {
  ConfigValueError,
  defineCapability,
  type ConfigMap,
  type Module,
  type ModuleFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader, checkedBy, isPlainObject } from '../support/index.ts';
import { decryptValue, encryptValue, isEncrypted, LocalKeyRing, scanStrings, type ScanOptions } from './field-crypt.ts';

export interface ProtectedField {
  name: string;
  classification?: string;
  encryption: boolean;
  log_behavior?: string;
  mask_pattern?: string;
}

export interface FieldProtection {
  /** Encrypts (in place) the protected fields of `data` that are not encrypted yet, with the tenant's current key. */
  encryptMap(tenantId: string, data: Record<string, unknown>): void;
  /** Decrypts (in place) every encrypted protected field of `data`, whatever key version wrote it. */
  decryptMap(tenantId: string, data: Record<string, unknown>): void;
  /** Moves the tenant to a new key version; data written before still decrypts. */
  rotateKey(tenantId: string): number;
}

export const FieldProtectionCap = defineCapability<FieldProtection>(
  'FieldProtection',
  'encryptMap',
  'decryptMap',
  'rotateKey',
);

const DEFAULT_TENANT = 'default';

interface FieldProtectionConfig {
  fields: Map<string, ProtectedField>;
  masterKey?: string;
  scan: ScanOptions;
  tenantIsolation: boolean;
}

function parseFieldProtection(config: ConfigMap): FieldProtectionConfig {
  const cfg = new ConfigReader(config);
  const fields = new Map<string, ProtectedField>();
  cfg.list('protected_fields').forEach((item, i) => {
    if (!isPlainObject(item) || typeof item.name !== 'string' || item.name === '')
      throw new ConfigValueError('each protected field needs a `name`', {
        path: ['protected_fields', i],
        hint: '- {name: ssn, classification: pii, encryption: true, log_behavior: redact}',
      });
    const f = new ConfigReader(item);
    fields.set(item.name, {
      name: item.name,
      classification: f.string('classification'),
      encryption: f.boolean('encryption', false)!,
      log_behavior: f.string('log_behavior'),
      mask_pattern: f.string('mask_pattern'),
    });
  });
  const depth = cfg.number('scan_depth', 10)!;
  return {
    fields,
    masterKey: cfg.string('master_key') || undefined,
    scan: { maxDepth: depth > 0 ? depth : 10, arrays: cfg.boolean('scan_arrays', true)! },
    tenantIsolation: cfg.boolean('tenant_isolation', false)!,
  };
}

export const fieldProtectionSchema: TypeSchema = {
  description: 'Protected (PII/PHI) fields and their AES-256-GCM encryption keys',
  configFields: [
    {
      key: 'protected_fields',
      type: 'array',
      description: 'list of {name, classification (pii|phi), encryption, log_behavior, mask_pattern}',
    },
    { key: 'master_key', type: 'string', description: 'key material (default: $FIELD_ENCRYPTION_KEY)' },
    { key: 'scan_depth', type: 'number', default: 10, description: 'how deep nested maps are scanned' },
    { key: 'scan_arrays', type: 'boolean', default: true, description: 'scan maps inside lists' },
    { key: 'tenant_isolation', type: 'boolean', default: false, description: 'separate keys per tenant id' },
  ],
  validate: checkedBy(parseFieldProtection),
};

export class FieldProtectionModule implements Module, FieldProtection {
  readonly type = 'security.field-protection';
  private readonly keyRing: LocalKeyRing;
  private readonly masterKey: Buffer;

  constructor(
    readonly name: string,
    private readonly cfg: FieldProtectionConfig,
    warn: (message: string) => void,
  ) {
    const material = cfg.masterKey ?? process.env.FIELD_ENCRYPTION_KEY;
    if (!material) warn(`${this.type} "${name}": no master_key or FIELD_ENCRYPTION_KEY; using an all-zero key`);
    this.masterKey = material ? Buffer.from(material, 'utf8') : Buffer.alloc(32);
    this.keyRing = new LocalKeyRing(this.masterKey);
  }

  private tenant(tenantId: string): string {
    return this.cfg.tenantIsolation && tenantId ? tenantId : DEFAULT_TENANT;
  }

  encryptMap(tenantId: string, data: Record<string, unknown>): void {
    const tenant = this.tenant(tenantId);
    scanStrings(data, this.cfg.scan, (map, key, value) => {
      if (!this.cfg.fields.get(key)?.encryption || isEncrypted(value)) return;
      const { key: k, version } = this.keyRing.currentKey(tenant);
      map[key] = encryptValue(value, k, version);
    });
  }

  decryptMap(tenantId: string, data: Record<string, unknown>): void {
    const tenant = this.tenant(tenantId);
    const keyFor = (version: number) => (version === 0 ? this.masterKey : this.keyRing.keyByVersion(tenant, version));
    scanStrings(data, this.cfg.scan, (map, key, value) => {
      if (!this.cfg.fields.has(key) || !isEncrypted(value)) return;
      try {
        map[key] = decryptValue(value, keyFor);
      } catch (err) {
        throw new Error(`field "${key}": ${(err as Error).message}`);
      }
    });
  }

  rotateKey(tenantId: string): number {
    return this.keyRing.rotate(this.tenant(tenantId)).version;
  }
}

export const createFieldProtection: ModuleFactory = (spec, app) =>
  new FieldProtectionModule(spec.name, parseFieldProtection(spec.config), (m) => app.logger.warn(m));
