// step.secret_rotate (upstream module/pipeline_step_secret_rotate.go): stores a freshly generated
// value at `key`* in the secrets provider named by `provider`* (one that can rotate: secrets.vault
// stores 32 random bytes, hex encoded). Output {rotated: true, key, provider}: the new value is never
// in the output (steps that need it read it with step.secret_fetch). `notify_module` is accepted and,
// as upstream, not used.
import { SecretRotatorCap, type ConfigMap, type StepFactory, type TypeSchema } from '../../engine/index.ts';
import { ConfigReader, checkedBy, moduleRef } from '../support/index.ts';

function parseSecretRotate(config: ConfigMap) {
  const cfg = new ConfigReader(config);
  return {
    provider: cfg.requiredString('provider', 'provider: vault (a secrets.vault module)'),
    key: cfg.requiredString('key', 'key: "payments#api_key"'),
    notifyModule: cfg.string('notify_module'),
  };
}

export const secretRotateSchema: TypeSchema = {
  description: 'Rotates a secret: stores a newly generated random value in the secrets provider',
  configFields: [
    { key: 'provider', type: 'string', required: true, description: 'secrets provider module that can rotate' },
    { key: 'key', type: 'string', required: true, description: 'the secret key to rotate (Vault: path or path#field)' },
    { key: 'notify_module', type: 'string', description: 'accepted; not used (as upstream)' },
  ],
  outputs: [
    { key: 'rotated', type: 'boolean' },
    { key: 'key', type: 'string' },
    { key: 'provider', type: 'string' },
  ],
  validate: checkedBy(parseSecretRotate),
};

export const createSecretRotateStep: StepFactory = (spec, ctx) => {
  const cfg = parseSecretRotate(spec.config);
  const rotator = moduleRef(ctx, spec, cfg.provider, 'secrets provider that can rotate', SecretRotatorCap);
  return {
    name: spec.name,
    type: spec.type,
    async execute() {
      try {
        await rotator().rotateSecret(cfg.key);
      } catch (err) {
        throw new Error(`secret_rotate step "${spec.name}": rotate failed: ${(err as Error).message}`);
      }
      return { output: { rotated: true, key: cfg.key, provider: cfg.provider } };
    },
  };
};
