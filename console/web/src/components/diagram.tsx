import type { Diagram } from '../../../api-types.ts';

/**
 * Boxes and arrows laid out by the server. The SVG is a picture for sighted users (role="img" with
 * a label); the same facts are listed as text beside it for everyone else.
 */
export function DiagramView({ diagram, label }: { diagram: Diagram; label: string }) {
  if (diagram.nodes.length === 0) return <p class="notice">Nothing to draw.</p>;
  return (
    <div class="diagram-scroll">
      <svg
        class="diagram"
        role="img"
        aria-label={label}
        width={diagram.width}
        height={diagram.height}
        viewBox={`0 0 ${diagram.width} ${diagram.height}`}
      >
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">
            <path d="M0,0 L10,5 L0,10 z" class="diagram-arrow" />
          </marker>
        </defs>
        {diagram.edges.map((e) => (
          <polyline
            key={`${e.from}->${e.to}`}
            class="diagram-edge"
            points={e.points.map(([x, y]) => `${x},${y}`).join(' ')}
            marker-end="url(#arrow)"
          />
        ))}
        {diagram.nodes.map((n) => (
          <g key={n.id} class={`diagram-node diagram-${n.kind}`}>
            <title>{`${n.label}: ${n.detail}`}</title>
            <rect x={n.x} y={n.y} width={n.width} height={n.height} rx="6" />
            <text x={n.x + 10} y={n.y + 19} class="diagram-label">
              {clip(n.label, 24)}
            </text>
            <text x={n.x + 10} y={n.y + 36} class="diagram-detail">
              {clip(n.detail, 28)}
            </text>
          </g>
        ))}
      </svg>
    </div>
  );
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
