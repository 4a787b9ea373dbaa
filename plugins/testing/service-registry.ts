import type { Capability, ServiceRegistry } from '../../engine/index.ts';

/** Ordered name -> service map with capability lookup, as the engine provides it. */
export class MapServiceRegistry implements ServiceRegistry {
  private readonly services = new Map<string, unknown>();

  register(name: string, service: unknown): void {
    if (this.services.has(name)) throw new Error(`service "${name}" is already registered`);
    this.services.set(name, service);
  }
  has(name: string): boolean {
    return this.services.has(name);
  }
  get<T = unknown>(name: string): T | undefined {
    return this.services.get(name) as T | undefined;
  }
  require<T = unknown>(name: string, requiredBy: string): T {
    if (!this.services.has(name)) throw new Error(`${requiredBy}: service "${name}" not found`);
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
