// One file of a source -> its YAML documents (JSON is YAML), each with the line it starts on and a
// way to find the line of any field, so every problem can name file:line. A syntax error is a
// problem of the file, with its line and column; the file's other documents are not used (a
// half-parsed file may be missing objects, so its good part is not applied either).
import { isMap, LineCounter, parseAllDocuments, type Document } from 'yaml';

export interface SourceDocument {
  file: string;
  /** 1-based line of the document's first content. */
  line: number;
  value: unknown;
  /** Line of the value at `path` (falls back to the document's line). */
  lineOf(path: Array<string | number>): number;
  /** The text of a string scalar and the line its content starts on (for block scalars, the line after `|`). */
  scalarText(path: Array<string | number>): { text: string; firstLine: number; indent: number } | undefined;
}

export interface FileProblem {
  file: string;
  line?: number;
  column?: number;
  message: string;
}

export function parseDocuments(file: string, text: string): { documents: SourceDocument[]; problems: FileProblem[] } {
  const counter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  const problems: FileProblem[] = [];
  for (const d of list) {
    for (const e of d.errors) {
      const pos = counter.linePos(e.pos[0]);
      problems.push({ file, line: pos.line, column: pos.col, message: e.message.split('\n')[0] ?? e.message });
    }
  }
  if (problems.length) return { documents: [], problems };
  const documents: SourceDocument[] = [];
  for (const d of list) {
    if (d.contents === null) continue; // an empty document (a stray ---)
    const start = (d.contents as { range?: [number, number, number] }).range?.[0] ?? 0;
    const line = counter.linePos(start).line;
    documents.push({
      file,
      line,
      value: d.toJS({ maxAliasCount: 100 }),
      lineOf: (path) => lineOfPath(d, counter, path) ?? line,
      scalarText: (path) => scalarAt(d, counter, text, path),
    });
  }
  return { documents, problems };
}

function lineOfPath(doc: Document, counter: LineCounter, path: Array<string | number>): number | undefined {
  for (let n = path.length; n > 0; n--) {
    // a map entry's key line reads better than its value's (which may start on the next line)
    const parent = doc.getIn(path.slice(0, n - 1), true);
    if (isMap(parent)) {
      const pair = parent.items.find((p) => (p.key as { value?: unknown })?.value === path[n - 1]);
      const keyRange = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
      if (keyRange) return counter.linePos(keyRange[0]).line;
    }
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}

function scalarAt(
  doc: Document,
  counter: LineCounter,
  text: string,
  path: Array<string | number>,
): { text: string; firstLine: number; indent: number } | undefined {
  const node = doc.getIn(path, true) as { value?: unknown; type?: string; range?: [number, number, number] };
  if (!node || typeof node.value !== 'string' || !node.range) return undefined;
  const pos = counter.linePos(node.range[0]);
  const block = node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED';
  if (!block) return { text: node.value, firstLine: pos.line, indent: pos.col - 1 };
  // A block scalar's content starts on the line after its header (`|`, `|-`, `>`...).
  const lineStarts = counter.lineStarts;
  const contentLine = pos.line + 1;
  const lineText = text.slice(lineStarts[contentLine - 1] ?? 0, lineStarts[contentLine] ?? text.length);
  const indent = /^ */.exec(lineText)?.[0].length ?? 0;
  return { text: node.value, firstLine: contentLine, indent };
}
