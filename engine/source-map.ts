// Where each part of a (possibly merged) config came from. Locations are attached to the decoded
// objects and arrays themselves, so they survive merging imports and application files: a path in
// the merged config is located by walking it down to the deepest node that has a location.
import type { ConfigPath } from './contract.ts';

export interface SourcePosition {
  line: number;
  column: number;
}

export interface SourceLocation extends SourcePosition {
  file: string;
}

interface NodeLocation {
  file: string;
  pos: SourcePosition;
  /** Position of each child's key (maps) or item (arrays), and of its value. */
  children: Map<string | number, { key: SourcePosition; value: SourcePosition }>;
}

export class SourceMap {
  private readonly nodes = new WeakMap<object, NodeLocation>();

  record(node: object, file: string, pos: SourcePosition): NodeLocation {
    const loc: NodeLocation = { file, pos, children: new Map() };
    this.nodes.set(node, loc);
    return loc;
  }

  recordChild(node: object, key: string | number, keyPos: SourcePosition, valuePos: SourcePosition): void {
    this.nodes.get(node)?.children.set(key, { key: keyPos, value: valuePos });
  }

  /** Give a merged node the location of one of its sources. */
  copy(from: object, to: object): void {
    const loc = this.nodes.get(from);
    if (loc && !this.nodes.has(to))
      this.nodes.set(to, { file: loc.file, pos: loc.pos, children: new Map(loc.children) });
  }

  fileOf(node: unknown): string | undefined {
    return node !== null && typeof node === 'object' ? this.nodes.get(node)?.file : undefined;
  }

  /** Best known location of `path` under `root`; falls back to the nearest located ancestor. */
  locate(root: unknown, path: ConfigPath, fallbackFile: string): SourceLocation {
    let best: SourceLocation = { file: fallbackFile, line: 1, column: 1 };
    let node: unknown = root;
    const rootLoc = node !== null && typeof node === 'object' ? this.nodes.get(node) : undefined;
    if (rootLoc) best = { file: rootLoc.file, ...rootLoc.pos };
    for (const seg of path) {
      if (node === null || typeof node !== 'object') break;
      const loc = this.nodes.get(node);
      const child = (node as Record<string | number, unknown>)[seg];
      const childPos = loc?.children.get(seg);
      if (loc && childPos) best = { file: loc.file, ...childPos.value };
      if (child === undefined) break;
      if (child !== null && typeof child === 'object') {
        const own = this.nodes.get(child);
        if (own) best = { file: own.file, ...own.pos };
      }
      node = child;
    }
    return best;
  }

  /** Location of a key itself (for "unknown key" style messages). */
  locateKey(root: unknown, path: ConfigPath, fallbackFile: string): SourceLocation {
    if (path.length === 0) return this.locate(root, path, fallbackFile);
    const parentPath = path.slice(0, -1);
    let parent: unknown = root;
    for (const seg of parentPath)
      parent = parent && typeof parent === 'object' ? (parent as Record<string | number, unknown>)[seg] : undefined;
    const loc = parent && typeof parent === 'object' ? this.nodes.get(parent) : undefined;
    const child = loc?.children.get(path[path.length - 1]!);
    if (loc && child) return { file: loc.file, ...child.key };
    return this.locate(root, path, fallbackFile);
  }
}
