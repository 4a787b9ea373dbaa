// The app page's pictures, laid out here so the browser only draws boxes and lines: the module graph
// in dependency layers (a module sits one column right of the deepest module it depends on), and each
// pipeline as a row, trigger first, then its steps in order. Input is `wfctl inspect`'s view.
import type { Inspection } from '../../engine/index.ts';
import type { AppDiagram, Diagram, DiagramEdge, DiagramNode } from '../api-types.ts';

const boxWidth = 190;
const boxHeight = 46;
const columnGap = 56;
const rowGap = 18;
const margin = 12;

export function appDiagram(inspection: Inspection): AppDiagram {
  return {
    modules: moduleGraph(inspection.modules),
    pipelines: pipelineRows(inspection.pipelines),
    startOrder: inspection.startOrder,
    pipelineList: inspection.pipelines.map((p) => ({
      name: p.name,
      trigger: p.trigger ?? null,
      steps: p.steps.map((s) => `${s.name} (${s.type})`),
    })),
  };
}

/** Dependency depth of each module; cycles and unknown names count as depth 0 instead of looping. */
export function moduleDepths(modules: Inspection['modules']): Map<string, number> {
  const byName = new Map(modules.map((m) => [m.name, m]));
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name)) return 0;
    visiting.add(name);
    const deps = byName.get(name)?.dependsOn.filter((d) => byName.has(d)) ?? [];
    const d = deps.length ? 1 + Math.max(...deps.map(visit)) : 0;
    visiting.delete(name);
    depth.set(name, d);
    return d;
  };
  for (const m of modules) visit(m.name);
  return depth;
}

function moduleGraph(modules: Inspection['modules']): Diagram {
  const depths = moduleDepths(modules);
  const rowsUsed: number[] = [];
  const nodes: DiagramNode[] = [];
  const position = new Map<string, DiagramNode>();
  for (const m of modules) {
    const column = depths.get(m.name) ?? 0;
    const row = rowsUsed[column] ?? 0;
    rowsUsed[column] = row + 1;
    const node: DiagramNode = {
      id: `module:${m.name}`,
      kind: 'module',
      label: m.name,
      detail: m.type,
      x: margin + column * (boxWidth + columnGap),
      y: margin + row * (boxHeight + rowGap),
      width: boxWidth,
      height: boxHeight,
    };
    if (position.has(m.name)) continue; // a duplicate name: the config is invalid, draw it once
    position.set(m.name, node);
    nodes.push(node);
  }
  const edges: DiagramEdge[] = [];
  for (const m of modules) {
    const to = position.get(m.name)!;
    for (const dep of m.dependsOn) {
      const from = position.get(dep);
      if (from) edges.push(connect(from, to));
    }
  }
  return frame(nodes, edges);
}

function pipelineRows(pipelines: Inspection['pipelines']): Diagram {
  const nodes: DiagramNode[] = [];
  const edges: DiagramEdge[] = [];
  pipelines.forEach((p, row) => {
    const y = margin + row * (boxHeight + rowGap);
    let previous: DiagramNode | undefined;
    const chain: Array<Omit<DiagramNode, 'x' | 'y' | 'width' | 'height'>> = [
      { id: `trigger:${p.name}`, kind: 'trigger', label: p.name, detail: p.trigger ?? 'no trigger' },
      ...p.steps.map((s, i) => ({ id: `step:${p.name}:${i}`, kind: 'step' as const, label: s.name, detail: s.type })),
    ];
    chain.forEach((c, column) => {
      const node: DiagramNode = {
        ...c,
        x: margin + column * (boxWidth + columnGap),
        y,
        width: boxWidth,
        height: boxHeight,
      };
      nodes.push(node);
      if (previous) edges.push(connect(previous, node));
      previous = node;
    });
  });
  return frame(nodes, edges);
}

/** From the right edge of one box to the left edge of another, with a bend when rows differ. */
function connect(from: DiagramNode, to: DiagramNode): DiagramEdge {
  const x1 = from.x + from.width;
  const y1 = from.y + from.height / 2;
  const x2 = to.x;
  const y2 = to.y + to.height / 2;
  const points: Array<[number, number]> =
    y1 === y2
      ? [
          [x1, y1],
          [x2, y2],
        ]
      : [
          [x1, y1],
          [x1 + columnGap / 2, y1],
          [x1 + columnGap / 2, y2],
          [x2, y2],
        ];
  return { from: from.id, to: to.id, points };
}

function frame(nodes: DiagramNode[], edges: DiagramEdge[]): Diagram {
  const width = nodes.reduce((w, n) => Math.max(w, n.x + n.width), 0) + margin;
  const height = nodes.reduce((h, n) => Math.max(h, n.y + n.height), 0) + margin;
  return { width: nodes.length ? width : 0, height: nodes.length ? height : 0, nodes, edges };
}
