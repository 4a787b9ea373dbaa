// Seed files for api.handler (and auth.jwt users): a JSON list of `{id, data, state?}` records as
// upstream writes them, or of plain objects (their `id` field, if any, is the id).
import { readFile } from 'node:fs/promises';
import type { ConfigMap } from '../../engine/index.ts';
import { isPlainObject } from './config-reader.ts';

export interface SeedRecord {
  id?: string;
  data: ConfigMap;
  state?: string;
}

/** Records of a seed file; undefined when the file does not exist. Bad content throws with the path. */
export async function readSeedFile(path: string): Promise<SeedRecord[] | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`seed file ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`seed file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new Error(`seed file ${path} must contain a JSON list of records`);
  return parsed.map((item, i) => {
    if (!isPlainObject(item)) throw new Error(`seed file ${path}: record ${i} must be an object`);
    if (isPlainObject(item.data)) {
      return {
        id: item.id === undefined ? undefined : String(item.id),
        data: item.data,
        state: typeof item.state === 'string' ? item.state : undefined,
      };
    }
    return { id: item.id === undefined ? undefined : String(item.id), data: item };
  });
}
