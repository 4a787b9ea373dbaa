// Loopback ports for pods and load balancers: ask the OS for a free one, or try a preferred one.
import { createServer } from 'node:net';

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const actual = (server.address() as { port: number }).port;
      server.close(() => resolve(actual));
    });
  });
}

/** `preferred` when it is free (and not 0), otherwise any free port. */
export async function freePort(preferred = 0): Promise<number> {
  if (preferred > 0) {
    const got = await tryListen(preferred);
    if (got !== undefined) return got;
  }
  const any = await tryListen(0);
  if (any === undefined) throw new Error('no free port on 127.0.0.1');
  return any;
}
