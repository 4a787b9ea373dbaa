// Named services of one app (upstream: the modular framework's service registry). Registration
// order is kept, so "first service with capability X" is deterministic (upstream uses map order).
import type { Capability, ServiceRegistry } from './contract.ts';

export class AppServiceRegistry implements ServiceRegistry {
  private readonly services = new Map<string, unknown>();

  register(name: string, service: unknown): void {
    const existing = this.services.get(name);
    if (existing !== undefined && existing !== service) {
      throw new Error(`service "${name}" is already registered; module and service names must be unique within an app`);
    }
    this.services.set(name, service);
  }

  has(name: string): boolean {
    return this.services.has(name);
  }

  get<T = unknown>(name: string): T | undefined {
    return this.services.get(name) as T | undefined;
  }

  require<T = unknown>(name: string, requiredBy: string): T {
    if (!this.services.has(name)) {
      const known = this.names();
      throw new Error(
        `${requiredBy} needs service "${name}", but no module or service has that name` +
          (known.length ? ` (known: ${known.slice(0, 12).join(', ')}${known.length > 12 ? ', ...' : ''})` : ''),
      );
    }
    return this.services.get(name) as T;
  }

  find<T>(cap: Capability<T>): T | undefined {
    for (const service of this.services.values()) if (cap.is(service)) return service;
    return undefined;
  }

  findAll<T>(cap: Capability<T>): Array<{ name: string; service: T }> {
    const out: Array<{ name: string; service: T }> = [];
    for (const [name, service] of this.services) if (cap.is(service)) out.push({ name, service });
    return out;
  }

  names(): string[] {
    return [...this.services.keys()];
  }
}
