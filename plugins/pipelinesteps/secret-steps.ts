// The secrets steps (upstream module/pipeline_step_secret_fetch.go, pipeline_step_secret_set.go),
// against the secrets provider module named by `module`* (secrets.vault):
//   step.secret_fetch — `secrets`*: output key -> secret id (template, e.g. "tenants/{{ .tenant }}#api_key").
//     Output: each key with its value, and fetched: true. Any failure fails the step. The values
//     are marked sensitive: execution recorders (eventstore) store "[REDACTED]" instead.
//   step.secret_set — `secrets`*: secret key -> value (template). Writes in key order; output
//     {set_keys: [...]}. A failure names the key; earlier keys stay written (no transactions).
// Error messages name keys and ids, never values.
import {
  ConfigValueError,
  formatValue,
  SecretsProviderCap,
  type CompiledValue,
  type ConfigMap,
  type StepFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader, checkedBy, describe, moduleRef } from '../support/index.ts';

interface SecretStepConfig {
  module: string;
  secrets: Array<[string, string]>;
}

function parseSecretStep(kind: string, what: string, example: string) {
  return (config: ConfigMap): SecretStepConfig => {
    const cfg = new ConfigReader(config);
    const module = cfg.requiredString('module', 'module: vault (a secrets.vault module)');
    const raw = cfg.map('secrets');
    if (!raw || Object.keys(raw).length === 0)
      throw new ConfigValueError(`${kind}: "secrets" map is required and must not be empty`, {
        path: ['secrets'],
        hint: `secrets: { ${example} }`,
      });
    const secrets = Object.entries(raw).map(([key, v]): [string, string] => {
      if (key.trim() === '')
        throw new ConfigValueError(`${kind}: secrets key must not be empty`, { path: ['secrets', key] });
      if (typeof v !== 'string')
        throw new ConfigValueError(`${kind}: secrets["${key}"] must be a string (${what}), got ${describe(v)}`, {
          path: ['secrets', key],
        });
      return [key, v];
    });
    return { module, secrets };
  };
}

const parseSecretFetch = parseSecretStep('secret_fetch', 'secret id', 'api_key: "payments#api_key"');
const parseSecretSet = parseSecretStep('secret_set', 'value or template', 'api_key: "{{ .body.api_key }}"');

const moduleField = { key: 'module', type: 'string', required: true, description: 'secrets provider module' } as const;

export const secretFetchSchema: TypeSchema = {
  description: 'Fetches one or more secrets from a named secrets module',
  configFields: [
    moduleField,
    { key: 'secrets', type: 'map', required: true, description: 'output key -> secret id (template)' },
  ],
  outputs: [
    { key: '(key)', type: 'string', description: 'each key of `secrets`, with the secret value' },
    { key: 'fetched', type: 'boolean' },
  ],
  validate: checkedBy(parseSecretFetch),
};

export const secretSetSchema: TypeSchema = {
  description: 'Writes one or more secrets to a named secrets module',
  configFields: [moduleField, { key: 'secrets', type: 'map', required: true, description: 'key -> value (template)' }],
  outputs: [{ key: 'set_keys', type: 'array', description: 'the keys written, sorted' }],
  validate: checkedBy(parseSecretSet),
};

function compileSecrets(
  secrets: Array<[string, string]>,
  compile: (v: string, key: string) => CompiledValue,
): Array<[string, CompiledValue]> {
  return secrets.map(([key, v]) => [key, compile(v, key)]);
}

export const createSecretFetchStep: StepFactory = (spec, ctx) => {
  const cfg = parseSecretFetch(spec.config);
  const provider = moduleRef(ctx, spec, cfg.module, 'secrets module', SecretsProviderCap);
  const ids = compileSecrets(cfg.secrets, (v, key) => ctx.templates.compile(v, ['secrets', key]));
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const secrets = provider();
      const output: ConfigMap = {};
      for (const [key, idTemplate] of ids) {
        const id = formatValue(idTemplate.resolve(pc));
        try {
          output[key] = await secrets.getSecret(id);
        } catch (err) {
          throw new Error(
            `secret_fetch step "${spec.name}": failed to fetch secret "${key}" (id="${id}"): ${(err as Error).message}`,
          );
        }
      }
      output.fetched = true;
      return { output, sensitiveOutput: ids.map(([key]) => key) };
    },
  };
};

export const createSecretSetStep: StepFactory = (spec, ctx) => {
  const cfg = parseSecretSet(spec.config);
  const provider = moduleRef(ctx, spec, cfg.module, 'secrets module', SecretsProviderCap);
  const values = compileSecrets(cfg.secrets, (v, key) => ctx.templates.compile(v, ['secrets', key])).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const secrets = provider();
      const setKeys: string[] = [];
      for (const [key, valueTemplate] of values) {
        const value = formatValue(valueTemplate.resolve(pc));
        try {
          await secrets.setSecret(key, value);
        } catch (err) {
          throw new Error(`secret_set step "${spec.name}": failed to set secret "${key}": ${(err as Error).message}`);
        }
        setKeys.push(key);
      }
      return { output: { set_keys: setKeys } };
    },
  };
};
