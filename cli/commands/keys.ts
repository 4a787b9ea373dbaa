// wfctl keys generate|show: publisher signing keys (Ed25519). `generate` writes <name>.key (private,
// mode 0600) and <name>.pub.json, the trusted-key file the registry lists as keys/<keyId>.json.
import type { Command } from 'commander';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../output.ts';

export function register(program: Command): void {
  const keys = program.command('keys').description('publisher signing keys (Ed25519) for wfctl publish');

  keys
    .command('generate')
    .description('create a publisher key pair; prints the key file to add to the registry as keys/<keyId>.json')
    .option('--name <name>', 'key name (file name in the keys directory)', 'default')
    .option('--dir <dir>', 'keys directory (default: $WFCTL_KEYS_DIR or ~/.config/wfctl/keys)')
    .option('--publisher <name>', 'who the key belongs to', process.env.USER ?? 'unknown')
    .option('--plugins <patterns>', 'comma-separated plugins the key may sign (ids, names, prefix*)', '*')
    .option('--force', 'replace an existing key of that name')
    .action(async (opts: { name: string; dir?: string; publisher: string; plugins: string; force?: boolean }) => {
      if (!/^[A-Za-z0-9._-]+$/.test(opts.name)) throw new CliError(`--name "${opts.name}" must be a plain file name`);
      const { keysDir } = await import('../signing-keys.ts');
      const { generateSigningKey } = await import('../../registry-index/index.ts');
      const dir = opts.dir ?? keysDir();
      const keyPath = join(dir, `${opts.name}.key`);
      if (existsSync(keyPath) && !opts.force)
        throw new CliError(`${keyPath} already exists`, {
          hint: 'a key that signed published versions must be kept; use --name for another one, or --force',
        });
      const plugins = opts.plugins
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean);
      if (plugins.length === 0) throw new CliError('--plugins names no plugin');
      const key = generateSigningKey();
      const trusted = { keyId: key.keyId, publisher: opts.publisher, publicKey: key.publicKey, plugins };
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(keyPath, key.privateKeyPem, { mode: 0o600 });
      chmodSync(keyPath, 0o600);
      const pubPath = join(dir, `${opts.name}.pub.json`);
      writeFileSync(pubPath, `${JSON.stringify(trusted, null, 2)}\n`);
      process.stdout.write(
        [
          `key id     ${key.keyId}`,
          `private    ${keyPath} (keep it secret; wfctl publish signs with it)`,
          `public     ${pubPath}`,
          '',
          `Add the public key file to the registry repository as keys/${key.keyId}.json (by pull request`,
          'or push), so the registry and installers trust what this key signs:',
          '',
          JSON.stringify(trusted, null, 2),
          '',
        ].join('\n'),
      );
    });

  keys
    .command('show')
    .description('print the trusted-key file of a key (to add to the registry as keys/<keyId>.json)')
    .option('--name <name>', 'key name', 'default')
    .option('--dir <dir>', 'keys directory (default: $WFCTL_KEYS_DIR or ~/.config/wfctl/keys)')
    .action(async (opts: { name: string; dir?: string }) => {
      const { keysDir } = await import('../signing-keys.ts');
      const path = join(opts.dir ?? keysDir(), `${opts.name}.pub.json`);
      if (!existsSync(path)) throw new CliError(`${path} not found`, { hint: 'wfctl keys generate creates it' });
      process.stdout.write(readFileSync(path, 'utf8'));
    });
}
