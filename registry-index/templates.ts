// templates/*.yaml are metadata documents naming the plugins an app template needs
// (`plugins_required`). Parsing is per file; whether each named plugin exists is a whole-registry
// question, answered in registry-rules.ts.
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Problem } from './problem.ts';

export interface TemplatePluginReference {
  name: string;
  line: number;
  column: number;
  jsonPointer: string;
}

export interface ParsedTemplate {
  references: TemplatePluginReference[];
  problems: Problem[];
}

export function parseTemplate(file: string, bytes: Uint8Array): ParsedTemplate {
  const lineCounter = new LineCounter();
  const doc = parseDocument(Buffer.from(bytes).toString('utf8'), { lineCounter, prettyErrors: false });
  const problem = (offset: number, jsonPointer: string, rule: string, message: string, hint: string): Problem => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col, jsonPointer, rule, message, hint, severity: 'error' };
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    return {
      references: [],
      problems: [
        problem(
          e.pos[0],
          '',
          'yaml-syntax',
          `invalid YAML: ${e.message.split('\n')[0]}`,
          'fix the YAML syntax at this position',
        ),
      ],
    };
  }
  if (!isMap(doc.contents)) {
    return {
      references: [],
      problems: [
        problem(
          0,
          '',
          'template-shape',
          'a template must be a YAML mapping',
          'start with `name:`, `description:` and `plugins_required:`',
        ),
      ],
    };
  }
  const list = doc.contents.get('plugins_required', true);
  if (list === undefined || list === null || (isScalar(list) && list.value === null))
    return { references: [], problems: [] };
  if (!isSeq(list)) {
    const offset = (list as { range?: [number, number, number] }).range?.[0] ?? 0;
    return {
      references: [],
      problems: [
        problem(
          offset,
          '/plugins_required',
          'template-shape',
          '"plugins_required" must be a list of plugin names',
          'write it as a YAML list: `plugins_required: [http, messaging]`',
        ),
      ],
    };
  }
  const references: TemplatePluginReference[] = [];
  const problems: Problem[] = [];
  list.items.forEach((item, i) => {
    const offset = (item as { range?: [number, number, number] }).range?.[0] ?? 0;
    if (!isScalar(item) || typeof item.value !== 'string') {
      problems.push(
        problem(
          offset,
          `/plugins_required/${i}`,
          'template-shape',
          `plugins_required[${i}] must be a plugin name`,
          'use the plugin directory name or manifest name as a string',
        ),
      );
      return;
    }
    const { line, col } = lineCounter.linePos(offset);
    references.push({ name: item.value, line, column: col, jsonPointer: `/plugins_required/${i}` });
  });
  return { references, problems };
}
