// Upstream SQL steps use positional parameters spelt per driver (`$1` for postgres, `?` for sqlite).
// SQLite (through better-sqlite3) reads `$1` as a *named* parameter, so `$N` is rewritten to an
// anonymous `?` (outside string literals, quoted identifiers and comments) and the values are
// reordered to match, which also lets one `$N` appear several times.

export interface SqliteStatementText {
  sql: string;
  /** 1-based parameter number per `?`, in order, when the text used `$N`; undefined for plain `?`. */
  order?: number[];
}

export function toSqlitePlaceholders(sql: string): SqliteStatementText {
  const order: number[] = [];
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    if (ch === "'" || ch === '"' || ch === '`') {
      const end = closingQuote(sql, i, ch);
      out += sql.slice(i, end);
      i = end;
    } else if (ch === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (ch === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      const stop = end === -1 ? sql.length : end + 2;
      out += sql.slice(i, stop);
      i = stop;
    } else if (ch === '$' && /[0-9]/.test(sql[i + 1] ?? '')) {
      let j = i + 1;
      while (j < sql.length && /[0-9]/.test(sql[j])) j++;
      order.push(Number(sql.slice(i + 1, j)));
      out += '?';
      i = j;
    } else {
      out += ch;
      i++;
    }
  }
  return order.length > 0 ? { sql: out, order } : { sql: out };
}

/** The values to bind, in `?` order, coerced to types SQLite can bind. */
export function bindValues(stmt: SqliteStatementText, params: unknown[]): Array<ReturnType<typeof toSqliteValue>> {
  const ordered = stmt.order
    ? stmt.order.map((n) => {
        if (n < 1 || n > params.length)
          throw new RangeError(`SQL uses $${n} but ${params.length} parameter value(s) were given`);
        return params[n - 1];
      })
    : params;
  return ordered.map(toSqliteValue);
}

/** Index just past the quote that closes the literal opened at `start` ('' escapes a quote). */
function closingQuote(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return sql.length;
}

/** SQLite binds numbers, strings, bigints, buffers and null; booleans become 1/0, objects JSON. */
export function toSqliteValue(value: unknown): number | string | bigint | Buffer | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'bigint' || Buffer.isBuffer(value))
    return value;
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}
