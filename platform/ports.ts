// The ports of `wfctl up`: every component at a fixed offset from one base (--port-base N moves them
// all), checked free before anything starts so a clash is named up front, not halfway through.
// Base 0 gives every component a free ephemeral port (tests, several platforms side by side).
import { createServer, type Server } from 'node:net';

export const defaultPortBase = 7700;

/** Offsets from the base; the order is the order of the summary table. */
export const portOffsets = {
  console: 0,
  registry: 1,
  git: 2,
  cluster: 3,
  license: 4,
  operator: 5,
  webhook: 6,
} as const;

export type PortComponent = keyof typeof portOffsets;
export type PortPlan = Record<PortComponent, number>;

/** What each port serves, for messages a user can act on. */
export const portDescriptions: Record<PortComponent, string> = {
  console: 'the web console',
  registry: 'the registry API',
  git: 'the git server',
  cluster: 'the devcluster API server',
  license: 'the license server',
  operator: 'the operator (metrics, health, git hooks)',
  webhook: 'the admission webhook',
};

const maxOffset = Math.max(...Object.values(portOffsets));

export class PortInUseError extends Error {
  constructor(
    readonly component: PortComponent,
    readonly port: number,
    host: string,
  ) {
    super(
      `port ${port} on ${host} (${portDescriptions[component]}) is already in use, by another program or ` +
        'another wfctl up',
    );
    this.name = 'PortInUseError';
  }
}

/** The port of every component for a base; a base of 0 plans 0 (ephemeral) everywhere. */
export function planPorts(base: number): PortPlan {
  if (!Number.isInteger(base) || base < 0 || base + maxOffset > 65535)
    throw new RangeError(`the port base must be 0, or from 1 to ${65535 - maxOffset} (got ${base})`);
  const plan = {} as PortPlan;
  for (const [component, offset] of Object.entries(portOffsets) as Array<[PortComponent, number]>)
    plan[component] = base === 0 ? 0 : base + offset;
  return plan;
}

/**
 * Makes a plan concrete: fixed ports are checked free (PortInUseError names the first taken one),
 * 0s become distinct free ports, held until all are chosen so no two components get the same one.
 * A port can still be taken between this check and the component's listen; that error names the
 * component too.
 */
export async function reservePorts(plan: PortPlan, needed: PortComponent[], host: string): Promise<PortPlan> {
  const held: Server[] = [];
  const out = { ...plan };
  try {
    for (const component of needed) {
      const server = createServer();
      held.push(server);
      out[component] = await listen(server, plan[component], host).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE' || err.code === 'EACCES')
          throw new PortInUseError(component, plan[component], host);
        throw err;
      });
    }
    return out;
  } finally {
    await Promise.all(held.map((s) => new Promise<void>((done) => (s.listening ? s.close(() => done()) : done()))));
  }
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}
