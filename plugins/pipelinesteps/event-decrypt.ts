// step.event_decrypt (upstream module/pipeline_step_event_decrypt.go): decrypts the fields that
// field-level event encryption sealed (support/event-crypto.ts) in the current event, a CloudEvents
// envelope with the extensions encrypteddek, encryptedfields, keyid and encryption. The output is the
// envelope with `data` decrypted (or, without a `data` map, the event with its fields decrypted).
// An event without the extensions passes through unchanged. `key_id` ($VAR or ${VAR}) overrides the
// event's keyid; the key is read from the environment when the step runs.
import type { StepFactory, TypeSchema } from '../../engine/index.ts';
import { ConfigReader, decryptEventFields, EVENT_ENCRYPTION_ALGORITHM, isPlainObject } from '../support/index.ts';

export const eventDecryptSchema: TypeSchema = {
  description: 'Decrypts the field-level encrypted fields of a CloudEvents event',
  configFields: [
    {
      key: 'key_id',
      type: 'string',
      description: "environment variable holding the master key ($VAR or ${VAR}); default: the event's keyid",
    },
  ],
  outputs: [
    { key: 'data', type: 'map', description: 'the event payload with its encrypted fields decrypted' },
    { key: 'encryptedfields', type: 'string', description: 'and the other envelope attributes, unchanged' },
  ],
  validate(config) {
    const k = config.key_id;
    if (k === undefined || k === null || k === '' || (typeof k === 'string' && k.startsWith('$'))) return [];
    return [{ message: '"key_id" must name an environment variable ($VAR or ${VAR})', path: ['key_id'] }];
  },
};

export const createEventDecryptStep: StepFactory = (spec) => {
  const keyIdOverride = new ConfigReader(spec.config).string('key_id') || undefined;
  return {
    name: spec.name,
    type: spec.type,
    async execute(pc) {
      const event = pc.current;
      const text = (key: string) => (typeof event[key] === 'string' ? (event[key] as string) : '');
      const keyId = keyIdOverride ?? text('keyid');
      if (!text('encrypteddek') || !text('encryptedfields') || !keyId) return { output: event };
      const algorithm = text('encryption');
      if (algorithm && algorithm !== EVENT_ENCRYPTION_ALGORITHM)
        throw new Error(
          `event_decrypt step "${spec.name}": unsupported encryption algorithm "${algorithm}" ` +
            `(supported: ${EVENT_ENCRYPTION_ALGORITHM})`,
        );
      const envelope = isPlainObject(event.data);
      let decrypted: Record<string, unknown>;
      try {
        decrypted = decryptEventFields(
          envelope ? (event.data as Record<string, unknown>) : event,
          text('encrypteddek'),
          text('encryptedfields'),
          keyId,
        );
      } catch (err) {
        throw new Error(`event_decrypt step "${spec.name}": ${(err as Error).message}`);
      }
      return { output: envelope ? { ...event, data: decrypted } : { ...event, ...decrypted } };
    },
  };
};
