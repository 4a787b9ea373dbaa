import { isAbsolute, resolve } from 'node:path';

/** A config path resolved against `base` (the config dir or data dir) unless it is absolute. */
export function resolveFrom(base: string, path: string): string {
  return isAbsolute(path) ? path : resolve(base, path);
}
