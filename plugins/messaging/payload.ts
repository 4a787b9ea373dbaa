// Message payloads travel as bytes (upstream brokers carry []byte); these helpers convert at the edges.
import type { ConfigMap } from '../../engine/index.ts';

export function toPayloadBuffer(payload: Buffer | string | ConfigMap | unknown[]): Buffer {
  if (Buffer.isBuffer(payload)) return payload;
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  return Buffer.from(JSON.stringify(payload), 'utf8');
}

/**
 * The workflow data a message becomes: a JSON object's fields, or `{message}` for any other payload.
 * `originalMessage` keeps the raw text, as the upstream event trigger does.
 */
export function messageToData(payload: Buffer): ConfigMap {
  const raw = payload.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  const fields =
    parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as ConfigMap)
      : { message: parsed ?? raw };
  return { ...fields, originalMessage: raw };
}

/** Event type of a message for `event:` filters: `type`, else `eventType` (upstream). */
export function eventTypeOf(data: ConfigMap): string {
  if (typeof data.type === 'string' && data.type !== '') return data.type;
  return typeof data.eventType === 'string' ? data.eventType : '';
}
