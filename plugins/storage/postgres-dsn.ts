// PostgreSQL DSNs in both forms upstream's pgx driver reads: a URL (postgres:// or postgresql://,
// passed to pg as is) and libpq's key=value pairs (host=db port=5432 dbname=app user=u password='a b'),
// turned into the equivalent URL. `target` names where it points, for messages; never the password.

export interface PostgresDsn {
  connectionString: string;
  /** host:port/database as a person would name it. */
  target: string;
}

const URL_FORM = /^postgres(ql)?:\/\//;

/** libpq keys accepted in the key=value form, with their URL query spelling (undefined: URL part). */
const KEYWORDS: Record<string, string | undefined> = {
  host: undefined,
  port: undefined,
  dbname: undefined,
  user: undefined,
  password: undefined,
  sslmode: 'sslmode',
  sslrootcert: 'sslrootcert',
  sslcert: 'sslcert',
  sslkey: 'sslkey',
  application_name: 'application_name',
  connect_timeout: 'connect_timeout',
  options: 'options',
};

export class DsnError extends Error {}

export function parsePostgresDsn(dsn: string): PostgresDsn {
  const text = dsn.trim();
  if (text === '') throw new DsnError('the dsn is empty');
  const url = URL_FORM.test(text) ? text : urlFromKeywords(parseKeywords(text));
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DsnError('the dsn is not a valid postgres:// URL');
  }
  const socketHost = parsed.searchParams.get('host');
  const host = socketHost || decodeURIComponent(parsed.hostname) || 'localhost';
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || decodeURIComponent(parsed.username);
  return { connectionString: url, target: `${host}:${parsed.port || '5432'}/${database || 'postgres'}` };
}

/** libpq's `key = value` list; values may be single-quoted with \' and \\ escapes. */
export function parseKeywords(text: string): Map<string, string> {
  const pairs = new Map<string, string>();
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  while (true) {
    skipSpace();
    if (i >= text.length) break;
    const keyStart = i;
    while (i < text.length && /[A-Za-z0-9_]/.test(text[i]!)) i++;
    const key = text.slice(keyStart, i);
    skipSpace();
    if (key === '' || text[i] !== '=')
      throw new DsnError(`expected key=value at "${text.slice(keyStart, keyStart + 20)}" (or use a postgres:// URL)`);
    i++;
    skipSpace();
    let value = '';
    if (text[i] === "'") {
      i++;
      while (i < text.length && text[i] !== "'") {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i];
        i++;
      }
      if (text[i] !== "'") throw new DsnError(`unterminated quoted value for "${key}"`);
      i++;
    } else {
      while (i < text.length && !/\s/.test(text[i]!)) {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i];
        i++;
      }
    }
    if (!Object.hasOwn(KEYWORDS, key))
      throw new DsnError(`unknown dsn key "${key}" (known: ${Object.keys(KEYWORDS).join(', ')})`);
    pairs.set(key, value);
  }
  return pairs;
}

function urlFromKeywords(pairs: Map<string, string>): string {
  const enc = encodeURIComponent;
  const user = pairs.get('user');
  const password = pairs.get('password');
  const auth = user ? `${enc(user)}${password ? `:${enc(password)}` : ''}@` : '';
  const host = pairs.get('host') ?? '';
  const socketDir = host.startsWith('/');
  const port = pairs.get('port');
  if (port !== undefined && !/^\d+$/.test(port)) throw new DsnError(`port "${port}" is not a number`);
  const query = new URLSearchParams();
  if (socketDir) query.set('host', host);
  for (const [key, value] of pairs) {
    const name = KEYWORDS[key];
    if (name) query.set(name, value);
  }
  const hostPart = socketDir ? '' : host.includes(':') ? `[${host}]` : host;
  const search = query.size > 0 ? `?${query.toString()}` : '';
  return `postgres://${auth}${hostPart}${port ? `:${port}` : ''}/${enc(pairs.get('dbname') ?? '')}${search}`;
}
