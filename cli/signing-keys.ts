// Where publisher keys live: $WFCTL_KEYS_DIR, else $XDG_CONFIG_HOME/wfctl/keys, else
// ~/.config/wfctl/keys; <name>.key (PKCS#8 PEM, mode 0600) and <name>.pub.json (the trusted-key file
// to add to the registry as keys/<keyId>.json). `wfctl publish` signs with --key, $WFCTL_SIGNING_KEY,
// or <keys dir>/default.key.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { SigningKey } from '../registry-index/index.ts';
import { CliError } from './output.ts';

export function keysDir(): string {
  if (process.env.WFCTL_KEYS_DIR) return resolve(process.env.WFCTL_KEYS_DIR);
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'wfctl', 'keys');
}

export function defaultKeyPath(): string {
  return process.env.WFCTL_SIGNING_KEY ? resolve(process.env.WFCTL_SIGNING_KEY) : join(keysDir(), 'default.key');
}

export async function readSigningKey(path = defaultKeyPath()): Promise<SigningKey> {
  if (!existsSync(path))
    throw new CliError(`no publisher key at ${path}`, {
      hint: 'create one with `wfctl keys generate` (and add its key file to the registry), or pass --key FILE',
    });
  const { loadSigningKey } = await import('../registry-index/index.ts');
  try {
    return loadSigningKey(readFileSync(path, 'utf8'), path);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}
