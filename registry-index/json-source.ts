// A JSON parser that remembers where every value came from, so a validation failure deep inside a
// manifest can be reported as file:line:column. JSON.parse cannot do that, and it also silently
// keeps the last of two duplicate keys (a classic leftover of a bad merge), which this parser reports.
//
// Positions are stored as character offsets per JSON pointer; line/column are computed on demand.
import { MAX_NESTING_DEPTH, textNestingOffset } from '../security/index.ts';

export interface SourcePosition {
  /** 1-based line. */
  line: number;
  /** 1-based column, counted in UTF-16 code units like editors and tsc do. */
  column: number;
}

export interface DuplicateKey {
  /** Pointer of the member that appears more than once. */
  pointer: string;
  position: SourcePosition;
}

export interface JsonDocument {
  /** The source text. */
  readonly text: string;
  readonly value: unknown;
  readonly duplicateKeys: DuplicateKey[];
  /**
   * Position of the value at `pointer`, or of the nearest ancestor that exists (a "missing property"
   * error points at the object that lacks it). `key: true` gives the member's key instead of its value.
   */
  locate(pointer: string, opts?: { key?: boolean }): SourcePosition;
}

export class JsonSyntaxError extends Error {
  readonly position: SourcePosition;
  constructor(message: string, position: SourcePosition) {
    super(message);
    this.name = 'JsonSyntaxError';
    this.position = position;
  }
}

/** Escape one reference token of a JSON pointer (RFC 6901). */
export function escapePointerToken(token: string | number): string {
  const s = String(token);
  return s.includes('~') || s.includes('/') ? s.replace(/~/g, '~0').replace(/\//g, '~1') : s;
}

/**
 * Parse JSON text. Syntax errors throw JsonSyntaxError with a position. Well-formed input takes the
 * native JSON.parse path; the position-tracking parser (about 4x slower) runs only on text JSON.parse
 * refuses (to say where) or that may repeat a key. Positions in well-formed text are found when asked
 * for, by skipping through the text to the one value (`offsetInText`): a registry full of valid
 * manifests parses at native speed, and a warning costs a scan, not a second parse.
 */
export function parseJson(text: string): JsonDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The tracking parser either throws a located error or accepts what JSON.parse refused (a BOM).
    // It recurses, as every walker after it does: refuse deep nesting before it starts.
    return parseJsonTracked(text);
  }
  const keys = countKeysWithin(value, MAX_NESTING_DEPTH);
  if (keys < 0) refuseDeepNesting(text);
  // Every key is followed by `":` in the text. If the text has exactly as many of those as the parsed
  // value has keys, no key was repeated (a repeat would make the text count larger).
  if (countKeyMarkers(text) !== keys) return parseJsonTracked(text);
  return {
    text,
    value,
    duplicateKeys: [],
    locate: (pointer, opts) => positionAt(text, offsetInText(text, pointer, opts?.key === true)),
  };
}

/** The position-tracking parser alone, every position recorded up front (tests check the fast path with it). */
export function parseJsonTracked(text: string): JsonDocument {
  refuseDeepNesting(text);
  return new Parser(text).parseDocument();
}

/** Throws a located JsonSyntaxError where arrays and objects nest deeper than MAX_NESTING_DEPTH. */
function refuseDeepNesting(text: string): void {
  const at = textNestingOffset(text);
  if (at < 0) return;
  throw new JsonSyntaxError(`arrays and objects nest deeper than ${MAX_NESTING_DEPTH} levels`, positionAt(text, at));
}

/** Line and column (UTF-16 code units, as editors count) of a character offset. */
function positionAt(text: string, offset: number): SourcePosition {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

function countKeyMarkers(text: string): number {
  let n = 0;
  for (let i = text.indexOf(':'); i !== -1; i = text.indexOf(':', i + 1)) {
    let j = i - 1;
    while (j >= 0) {
      const c = text.charCodeAt(j);
      if (c !== Ch.Space && c !== Ch.Newline && c !== Ch.Return && c !== Ch.Tab) break;
      j--;
    }
    if (text.charCodeAt(j) === Ch.Quote) n++;
  }
  return n;
}

/**
 * The keys of every object in `value`, or -1 when arrays and objects nest deeper than `levels` (the
 * check of security/nesting.ts, in the same walk). Recursion stops at `levels`, so it cannot overflow.
 */
function countKeysWithin(value: unknown, levels: number): number {
  if (value === null || typeof value !== 'object') return 0;
  if (levels === 0) return -1;
  let n = 0;
  if (Array.isArray(value)) {
    for (const v of value) {
      const k = countKeysWithin(v, levels - 1);
      if (k < 0) return -1;
      n += k;
    }
    return n;
  }
  for (const key in value) {
    const k = countKeysWithin((value as Record<string, unknown>)[key], levels - 1);
    if (k < 0) return -1;
    n += 1 + k;
  }
  return n;
}

/**
 * Where the value at `pointer` starts in well-formed JSON text without repeated keys, or its nearest
 * existing ancestor (the member's key with `key`): what the tracking parser records, found by skipping
 * over every other value without building it.
 */
function offsetInText(text: string, pointer: string, key: boolean): number {
  let pos = skipWhitespace(text, 0);
  if (!pointer.startsWith('/')) return pos;
  const tokens = pointer.slice(1).split('/');
  for (let t = 0; t < tokens.length; t++) {
    const open = text.charCodeAt(pos);
    if (open !== Ch.OpenBrace && open !== Ch.OpenBracket) return pos;
    const close = open === Ch.OpenBrace ? Ch.CloseBrace : Ch.CloseBracket;
    let i = skipWhitespace(text, pos + 1);
    let keyAt = -1;
    let found = -1;
    for (let index = 0; i < text.length && text.charCodeAt(i) !== close; index++) {
      let match: boolean;
      if (open === Ch.OpenBrace) {
        keyAt = i;
        const end = stringEnd(text, i);
        const raw = text.slice(i + 1, end - 1);
        const name = raw.includes('\\') ? (JSON.parse(text.slice(i, end)) as string) : raw;
        match = escapePointerToken(name) === tokens[t];
        i = skipWhitespace(text, skipWhitespace(text, end) + 1); // past the ":"
      } else match = String(index) === tokens[t];
      if (match) {
        found = i;
        break;
      }
      i = skipWhitespace(text, valueEnd(text, i));
      if (text.charCodeAt(i) === Ch.Comma) i = skipWhitespace(text, i + 1);
    }
    if (found < 0) return pos;
    if (key && open === Ch.OpenBrace && t === tokens.length - 1) return keyAt;
    pos = found;
  }
  return pos;
}

function skipWhitespace(text: string, from: number): number {
  let i = from;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === Ch.Space || c === Ch.Newline || c === Ch.Return || c === Ch.Tab) i++;
    else return i;
  }
}

/** The offset after the string whose opening quote is at `from`. */
function stringEnd(text: string, from: number): number {
  for (let i = from + 1; ; i++) {
    const c = text.charCodeAt(i);
    if (c === Ch.Backslash) i++;
    else if (c === Ch.Quote || Number.isNaN(c)) return i + 1;
  }
}

/** The offset after the well-formed value that starts at `from`. */
function valueEnd(text: string, from: number): number {
  const c = text.charCodeAt(from);
  if (c === Ch.Quote) return stringEnd(text, from);
  if (c === Ch.OpenBrace || c === Ch.OpenBracket) {
    let depth = 0;
    for (let i = from; i < text.length; i++) {
      const d = text.charCodeAt(i);
      if (d === Ch.Quote) i = stringEnd(text, i) - 1;
      else if (d === Ch.OpenBrace || d === Ch.OpenBracket) depth++;
      else if ((d === Ch.CloseBrace || d === Ch.CloseBracket) && --depth === 0) return i + 1;
    }
    return text.length;
  }
  let i = from;
  for (;;) {
    const d = text.charCodeAt(i);
    if (d === Ch.Comma || d === Ch.CloseBrace || d === Ch.CloseBracket || d === Ch.Space || d === Ch.Newline) return i;
    if (d === Ch.Return || d === Ch.Tab || Number.isNaN(d)) return i;
    i++;
  }
}

enum Ch {
  Tab = 9,
  Newline = 10,
  Return = 13,
  Space = 32,
  Quote = 34,
  Plus = 43,
  Comma = 44,
  Minus = 45,
  Dot = 46,
  Zero = 48,
  Nine = 57,
  Colon = 58,
  UpperE = 69,
  Backslash = 92,
  OpenBracket = 91,
  CloseBracket = 93,
  LowerE = 101,
  OpenBrace = 123,
  CloseBrace = 125,
}

class Parser {
  private pos = 0;
  private readonly valueOffsets = new Map<string, number>();
  private readonly keyOffsets = new Map<string, number>();
  private readonly duplicates: Array<{ pointer: string; offset: number }> = [];

  constructor(private readonly text: string) {}

  parseDocument(): JsonDocument {
    // A byte-order mark is legal at the start of a file on disk; skip it rather than fail.
    if (this.text.charCodeAt(0) === 0xfeff) this.pos = 1;
    this.skipWhitespace();
    if (this.pos >= this.text.length) this.fail('the file is empty; expected a JSON object');
    const value = this.parseValue('');
    this.skipWhitespace();
    if (this.pos < this.text.length) this.fail(`unexpected ${this.describeHere()} after the end of the JSON value`);
    const duplicateKeys = this.duplicates.map((d) => ({ pointer: d.pointer, position: this.positionAt(d.offset) }));
    return {
      text: this.text,
      value,
      duplicateKeys,
      locate: (pointer, opts) => this.positionAt(this.offsetOf(pointer, opts?.key === true)),
    };
  }

  private offsetOf(pointer: string, key: boolean): number {
    let p = pointer;
    for (;;) {
      const hit =
        key && p === pointer ? (this.keyOffsets.get(p) ?? this.valueOffsets.get(p)) : this.valueOffsets.get(p);
      if (hit !== undefined) return hit;
      if (p === '') return 0;
      p = p.slice(0, p.lastIndexOf('/'));
    }
  }

  private positionAt(offset: number): SourcePosition {
    return positionAt(this.text, offset);
  }

  private fail(message: string, offset = this.pos): never {
    throw new JsonSyntaxError(message, this.positionAt(Math.min(offset, this.text.length)));
  }

  private describeHere(): string {
    if (this.pos >= this.text.length) return 'end of file';
    const ch = this.text[this.pos]!;
    return /\s/.test(ch) ? `character U+${ch.charCodeAt(0).toString(16).padStart(4, '0')}` : `"${ch}"`;
  }

  private skipWhitespace(): void {
    this.pos = skipWhitespace(this.text, this.pos);
  }

  private parseValue(pointer: string): unknown {
    this.valueOffsets.set(pointer, this.pos);
    const c = this.text.charCodeAt(this.pos);
    switch (c) {
      case Ch.OpenBrace:
        return this.parseObject(pointer);
      case Ch.OpenBracket:
        return this.parseArray(pointer);
      case Ch.Quote:
        return this.parseString();
      case 116:
        return this.parseLiteral('true', true);
      case 102:
        return this.parseLiteral('false', false);
      case 110:
        return this.parseLiteral('null', null);
      default:
        if (c === Ch.Minus || (c >= Ch.Zero && c <= Ch.Nine)) return this.parseNumber();
        if (c === 39) this.fail('strings must use double quotes (") in JSON, not single quotes');
        if (Number.isNaN(c)) this.fail('unexpected end of file; expected a value');
        if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) {
          const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.pos, this.pos + 32))![0];
          this.fail(
            `unexpected word "${word}"; strings need double quotes, and the only JSON literals are true, ` +
              `false and null`,
          );
        }
        return this.fail(
          `unexpected ${this.describeHere()}; expected a value (object, array, string, number, true, false or null)`,
        );
    }
  }

  private parseObject(pointer: string): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    const seen = new Set<string>();
    this.pos++; // {
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === Ch.CloseBrace) {
      this.pos++;
      return obj;
    }
    for (;;) {
      if (this.text.charCodeAt(this.pos) !== Ch.Quote) {
        if (this.text.charCodeAt(this.pos) === Ch.CloseBrace)
          this.fail('trailing comma before "}" is not allowed in JSON');
        this.fail(`expected a property name in double quotes, found ${this.describeHere()}`);
      }
      const keyOffset = this.pos;
      const key = this.parseString();
      const child = `${pointer}/${escapePointerToken(key)}`;
      if (seen.has(key)) this.duplicates.push({ pointer: child, offset: keyOffset });
      seen.add(key);
      this.keyOffsets.set(child, keyOffset);
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) !== Ch.Colon)
        this.fail(`expected ":" after property name "${key}", found ${this.describeHere()}`);
      this.pos++;
      this.skipWhitespace();
      const value = this.parseValue(child);
      // defineProperty keeps "__proto__" an ordinary key, as JSON.parse does
      if (key === '__proto__')
        Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
      else obj[key] = value;
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos);
      if (c === Ch.Comma) {
        this.pos++;
        this.skipWhitespace();
        continue;
      }
      if (c === Ch.CloseBrace) {
        this.pos++;
        return obj;
      }
      if (c === Ch.Quote) this.fail('missing "," between object members');
      this.fail(
        Number.isNaN(c)
          ? 'unexpected end of file; an object is not closed with "}"'
          : `expected "," or "}" after a property value, found ${this.describeHere()}`,
      );
    }
  }

  private parseArray(pointer: string): unknown[] {
    const arr: unknown[] = [];
    this.pos++; // [
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === Ch.CloseBracket) {
      this.pos++;
      return arr;
    }
    for (;;) {
      if (this.text.charCodeAt(this.pos) === Ch.CloseBracket)
        this.fail('trailing comma before "]" is not allowed in JSON');
      arr.push(this.parseValue(`${pointer}/${arr.length}`));
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos);
      if (c === Ch.Comma) {
        this.pos++;
        this.skipWhitespace();
        continue;
      }
      if (c === Ch.CloseBracket) {
        this.pos++;
        return arr;
      }
      this.fail(
        Number.isNaN(c)
          ? 'unexpected end of file; an array is not closed with "]"'
          : `expected "," or "]" after an array element, found ${this.describeHere()}`,
      );
    }
  }

  private parseString(): string {
    const t = this.text;
    const start = ++this.pos; // opening quote
    // Fast path: no escapes.
    let i = start;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === Ch.Quote) {
        this.pos = i + 1;
        return t.slice(start, i);
      }
      if (c === Ch.Backslash) break;
      if (c < 0x20 || Number.isNaN(c)) {
        if (Number.isNaN(c) || c === Ch.Newline)
          this.fail('unterminated string; add the closing double quote', Number.isNaN(c) ? start - 1 : i);
        this.fail('control characters must be escaped inside JSON strings', i);
      }
      i++;
    }
    let out = t.slice(start, i);
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === Ch.Quote) {
        this.pos = i + 1;
        return out;
      }
      if (Number.isNaN(c) || c === Ch.Newline)
        this.fail('unterminated string; add the closing double quote', Number.isNaN(c) ? start - 1 : i);
      if (c < 0x20) this.fail('control characters must be escaped inside JSON strings', i);
      if (c !== Ch.Backslash) {
        out += t[i];
        i++;
        continue;
      }
      const e = t[i + 1];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const hex = t.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid \\u escape; expected four hex digits', i);
          out += String.fromCharCode(parseInt(hex, 16));
          i += 4;
          break;
        }
        default:
          this.fail(`invalid escape "\\${e ?? ''}" in string`, i);
      }
      i += 2;
    }
  }

  private parseNumber(): number {
    const t = this.text;
    const start = this.pos;
    let i = start;
    if (t.charCodeAt(i) === Ch.Minus) i++;
    const digitsStart = i;
    while (t.charCodeAt(i) >= Ch.Zero && t.charCodeAt(i) <= Ch.Nine) i++;
    if (i === digitsStart) this.fail('invalid number: expected a digit', i);
    if (t.charCodeAt(digitsStart) === Ch.Zero && i - digitsStart > 1)
      this.fail('invalid number: leading zeros are not allowed', start);
    if (t.charCodeAt(i) === Ch.Dot) {
      i++;
      const f = i;
      while (t.charCodeAt(i) >= Ch.Zero && t.charCodeAt(i) <= Ch.Nine) i++;
      if (i === f) this.fail('invalid number: expected a digit after "."', i);
    }
    const e = t.charCodeAt(i);
    if (e === Ch.LowerE || e === Ch.UpperE) {
      i++;
      const s = t.charCodeAt(i);
      if (s === Ch.Plus || s === Ch.Minus) i++;
      const f = i;
      while (t.charCodeAt(i) >= Ch.Zero && t.charCodeAt(i) <= Ch.Nine) i++;
      if (i === f) this.fail('invalid number: expected a digit in the exponent', i);
    }
    this.pos = i;
    return Number(t.slice(start, i));
  }

  private parseLiteral<T>(word: string, value: T): T {
    if (this.text.startsWith(word, this.pos)) {
      this.pos += word.length;
      return value;
    }
    const found = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.pos, this.pos + 32))?.[0] ?? '';
    return this.fail(`unexpected word "${found}"; did you mean ${word}? (JSON literals are lower-case)`);
  }
}
