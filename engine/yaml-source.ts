// YAML text -> plain JS values, recording the line and column of every map key and value in a
// SourceMap (via the `yaml` package's source ranges), and YAML syntax errors as located issues.
import { MAX_NESTING_DEPTH, setOwn, textNestingOffset } from '../security/index.ts';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { ConfigIssue } from './config-issue.ts';
import type { SourceMap, SourcePosition } from './source-map.ts';

export interface ParsedYaml {
  value: unknown;
  issues: ConfigIssue[];
}

const MAX_ALIAS_DEPTH = 64;
/** What a stack overflow in the parser or the conversion means: nesting no config needs. */
const tooDeep = `the YAML nests lists and maps more than ${MAX_NESTING_DEPTH} levels deep; a config does not need that`;
/** Alias expansions allowed per document: stops "billion laughs" documents from exhausting memory. */
const MAX_ALIAS_EXPANSIONS = 10_000;

export function parseYamlWithLocations(text: string, file: string, sourceMap: SourceMap): ParsedYaml {
  const deep = textNestingOffset(text, MAX_NESTING_DEPTH, true);
  if (deep >= 0) {
    const lineStart = text.lastIndexOf('\n', deep) + 1;
    const line = text.slice(0, lineStart).split('\n').length;
    return {
      value: undefined,
      issues: [{ file, line, column: deep - lineStart + 1, where: 'YAML', jsonPath: '', message: tooDeep }],
    };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true, strict: false });
  const issues: ConfigIssue[] = [];
  const posOf = (offset: number | undefined): SourcePosition => {
    const p = lineCounter.linePos(offset ?? 0);
    return { line: p.line, column: p.col };
  };
  // the first syntax error is the real one; the parser's follow-on errors only add noise
  for (const err of doc.errors.slice(0, 1)) {
    const p = posOf(err.pos[0]);
    issues.push({
      file,
      line: p.line,
      column: p.column,
      where: 'YAML syntax',
      jsonPath: '',
      message: /Maximum call stack/.test(err.message) ? tooDeep : `invalid YAML: ${firstLine(err.message)}`,
      hint:
        err.code === 'DUPLICATE_KEY'
          ? 'each key may appear once in a map; remove or rename the duplicate'
          : 'check indentation and quoting around this line',
    });
  }
  if (issues.length > 0) return { value: undefined, issues };

  let expansions = 0;
  const toJs = (node: Node | null | undefined, depth: number): unknown => {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      if (depth > MAX_ALIAS_DEPTH) throw new Error('YAML alias nesting too deep');
      if (++expansions > MAX_ALIAS_EXPANSIONS)
        throw new Error(
          `YAML aliases expand to more than ${MAX_ALIAS_EXPANSIONS} copies; a config does not need that many`,
        );
      return toJs(node.resolve(doc as Document) as Node | undefined, depth + 1);
    }
    if (isScalar(node)) return node.value;
    if (isSeq(node)) {
      const arr: unknown[] = [];
      sourceMap.record(arr, file, posOf(node.range?.[0]));
      node.items.forEach((item, i) => {
        const itemNode = item as Node;
        arr.push(toJs(itemNode, depth));
        const p = posOf(itemNode?.range?.[0]);
        sourceMap.recordChild(arr, i, p, p);
      });
      return arr;
    }
    if (isMap(node)) {
      const obj: Record<string, unknown> = {};
      sourceMap.record(obj, file, posOf(node.range?.[0]));
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key as Node | null;
        const key = isScalar(keyNode) ? keyNode.value : keyNode;
        if (key === '<<' || (typeof key === 'symbol' && key.description === '<<')) {
          // merge key: copy entries that the map does not define itself
          const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
          for (const src of sources) {
            const merged = toJs(src as Node, depth + 1);
            if (merged && typeof merged === 'object' && !Array.isArray(merged)) {
              for (const [k, v] of Object.entries(merged)) if (!Object.hasOwn(obj, k)) setOwn(obj, k, v);
            }
          }
          continue;
        }
        const k = typeof key === 'string' ? key : String(key);
        const valueNode = pair.value as Node | null;
        setOwn(obj, k, toJs(valueNode, depth)); // `__proto__: x` is a key, not a prototype
        const keyPos = posOf(keyNode?.range?.[0]);
        sourceMap.recordChild(obj, k, keyPos, valueNode?.range ? posOf(valueNode.range[0]) : keyPos);
      }
      return obj;
    }
    return (node as { toJSON?: () => unknown }).toJSON?.() ?? null;
  };

  try {
    return { value: toJs(doc.contents as Node | null, 0), issues };
  } catch (err) {
    return {
      value: undefined,
      issues: [
        {
          file,
          line: 1,
          column: 1,
          where: 'YAML',
          jsonPath: '',
          message: err instanceof RangeError ? tooDeep : (err as Error).message,
        },
      ],
    };
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}
