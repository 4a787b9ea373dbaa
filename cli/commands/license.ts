// wfctl license keygen|issue|verify|inspect|serve: signing keys, wflic.v1 tokens and the license
// server (license/). Tokens go to stdout alone so they can be piped; messages go to stderr.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError, parseOutputFormat, printStructured, printTable } from '../output.ts';

const loadLicense = () => import('../../license/index.ts');

function intFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
    throw new CliError(`${flag} must be a non-negative integer (got "${value}")`, { hint: '0 means no limit' });
  return n;
}

/** TOKEN, or "-" for stdin, or @FILE. */
function readTokenArg(arg: string): string {
  try {
    if (arg === '-') return readFileSync(0, 'utf8').trim();
    if (arg.startsWith('@')) return readFileSync(arg.slice(1), 'utf8').trim();
  } catch (err) {
    throw new CliError(`cannot read the token from ${arg === '-' ? 'stdin' : arg.slice(1)}: ${(err as Error).message}`);
  }
  return arg.trim();
}

/** A library error (bad key file, bad option) as a user error. */
async function user<T>(fn: () => T | Promise<T>, hint?: string): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError((err as Error).message, hint ? { hint } : {});
  }
}

export function register(program: Command): void {
  const cmd = program
    .command('license')
    .description('license keys and tokens (wflic.v1, Ed25519), and the license server');

  cmd
    .command('keygen')
    .description('write a new Ed25519 signing key pair: DIR/license.key (secret, 0600) and DIR/license.pub')
    .requiredOption('--out <dir>', 'directory for license.key and license.pub')
    .action(async (flags: { out: string }) => {
      const lib = await loadLicense();
      const { keyPath, pubPath } = await user(() => lib.writeKeyPair(flags.out));
      const id = lib.keyId(lib.readPublicKeyFile(pubPath));
      process.stderr.write(`wrote ${keyPath} (keep it secret) and ${pubPath}; key id ${id}\n`);
    });

  cmd
    .command('issue')
    .description('sign a license and print its token')
    .requiredOption('--key <file>', 'private signing key (license.key)')
    .requiredOption('--tenant <name>', 'tenant the license is for (the WorkflowTenant name)')
    .requiredOption('--tier <tier>', 'starter, professional or enterprise')
    .option('--features <list>', 'comma-separated premium plugin names or feature flags; * for all', '')
    .option('--max-apps <n>', 'most WorkflowApps (0 = no limit)')
    .option('--max-replicas <n>', 'most engine replicas across all apps (0 = no limit)')
    .option('--max-plugins <n>', 'most distinct plugins in use (0 = no limit)')
    .option('--expires <when>', 'duration (30d, 12h, 1y) or date (2027-01-31)', '365d')
    .option('--not-before <when>', 'not valid before this date (default: now)')
    .option('--org <name>', 'organization (default: the tenant)')
    .option('--id <id>', 'license id (default: a random lic-…)')
    .action(
      async (flags: {
        key: string;
        tenant: string;
        tier: string;
        features: string;
        maxApps?: string;
        maxReplicas?: string;
        maxPlugins?: string;
        expires: string;
        notBefore?: string;
        org?: string;
        id?: string;
      }) => {
        const lib = await loadLicense();
        const privateKey = await user(
          () => lib.readPrivateKeyFile(flags.key),
          'create one with wfctl license keygen --out DIR',
        );
        const { token } = await user(() =>
          lib.issueLicense(
            {
              tenant: flags.tenant,
              tier: flags.tier,
              organization: flags.org,
              licenseId: flags.id,
              features: flags.features.split(','),
              maxApps: intFlag('--max-apps', flags.maxApps),
              maxReplicas: intFlag('--max-replicas', flags.maxReplicas),
              maxPlugins: intFlag('--max-plugins', flags.maxPlugins),
              expires: flags.expires,
              notBefore: flags.notBefore,
            },
            privateKey,
          ),
        );
        process.stdout.write(`${token}\n`);
      },
    );

  cmd
    .command('verify')
    .description('check a token offline: signature, expiry and start date (TOKEN, @FILE or - for stdin)')
    .argument('<token>', 'the license token')
    .requiredOption('--pub <file>', 'public key (license.pub)')
    .option('-o, --output <format>', 'json or yaml')
    .action(async (arg: string, flags: { pub: string; output?: string }) => {
      const format = parseOutputFormat(flags.output);
      const lib = await loadLicense();
      const publicKey = await user(() => lib.readPublicKeyFile(flags.pub));
      const token = readTokenArg(arg);
      let claims;
      try {
        claims = lib.verifyToken(token, publicKey);
      } catch (err) {
        if (err instanceof lib.LicenseTokenError)
          throw new CliError(`license is not valid: ${err.message}`, { exitCode: 1 });
        throw err;
      }
      const info = lib.licenseInfo(claims);
      if (printStructured(format, { valid: true, license: info })) return;
      process.stdout.write(
        `valid: license ${claims.licenseId} for tenant ${claims.tenant} (${claims.organization}), tier ` +
          `${claims.tier}, expires ${info.expires_at}\n`,
      );
    });

  cmd
    .command('inspect')
    .description('print the claims of a token without checking its signature')
    .argument('<token>', 'the license token (TOKEN, @FILE or -)')
    .option('-o, --output <format>', 'json or yaml')
    .action(async (arg: string, flags: { output?: string }) => {
      const format = parseOutputFormat(flags.output);
      const lib = await loadLicense();
      const { claims } = await user(() => lib.parseToken(readTokenArg(arg)));
      if (
        printStructured(format, {
          ...claims,
          issued: lib.isoSeconds(claims.issuedAt),
          expires: lib.isoSeconds(claims.expiresAt),
        })
      )
        return;
      const limit = (n: number) => (n === 0 ? 'no limit' : n);
      printTable(
        ['field', 'value'],
        [
          ['license', claims.licenseId],
          ['tenant', claims.tenant],
          ['organization', claims.organization],
          ['tier', claims.tier],
          ['features', claims.features.join(', ') || '(none)'],
          ['max apps', limit(claims.maxApps)],
          ['max replicas', limit(claims.maxReplicas)],
          ['max plugins', limit(claims.maxPlugins)],
          ['issued', lib.isoSeconds(claims.issuedAt)],
          ...(claims.notBefore !== undefined
            ? [['not before', lib.isoSeconds(claims.notBefore)] as [string, string]]
            : []),
          ['expires', lib.isoSeconds(claims.expiresAt)],
          ['key id', claims.keyId ?? '(none)'],
        ],
      );
      process.stderr.write('note: the signature was not checked; use wfctl license verify TOKEN --pub FILE\n');
    });

  cmd
    .command('serve')
    .description('run the license server: POST /validate, admin API, usage reports, /healthz, /metrics')
    .requiredOption('--data <dir>', 'state directory (SQLite database license.db)')
    .requiredOption('--pub <file>', 'public key that verifies the licenses (license.pub)')
    .option('--admin-token <token>', 'bearer token of the admin API (default: $WFCTL_LICENSE_ADMIN_TOKEN)')
    .option('--port <n>', 'listen port (0 picks a free one)', '8095')
    .option('--host <host>', 'listen address', '127.0.0.1')
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .action(
      async (flags: {
        data: string;
        pub: string;
        adminToken?: string;
        port: string;
        host: string;
        logLevel: string;
      }) => {
        const lib = await loadLicense();
        const adminToken = flags.adminToken ?? process.env.WFCTL_LICENSE_ADMIN_TOKEN;
        if (!adminToken)
          throw new CliError('the admin API needs a token: pass --admin-token T or set WFCTL_LICENSE_ADMIN_TOKEN');
        const port = intFlag('--port', flags.port)!;
        if (port > 65535) throw new CliError(`--port must be at most 65535 (got ${port})`);
        const publicKey = await user(() => lib.readPublicKeyFile(flags.pub));
        const { pino } = await import('pino');
        const logger = pino({ level: flags.logLevel, base: { component: 'license-server' } });
        const server = await user(() =>
          lib.startLicenseServer({ dataDir: flags.data, publicKey, adminToken, port, host: flags.host, logger }),
        );
        process.stderr.write(`license server at ${server.url} (POST /validate; admin API under /api/v1)\n`);
        await new Promise<void>((resolve) => {
          const stop = () => void server.stop().then(resolve, resolve);
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      },
    );
}
