// Users of an auth.jwt module, by email and id, written through to a persistence store when the app
// has one (the same `users` table upstream uses).
import type { PersistenceStore, UserRecord } from '../storage/index.ts';

/** A user as stored (the same record the persistence store's `users` table holds). */
export type User = UserRecord;

export class UserStore {
  private readonly byEmailMap = new Map<string, User>();

  constructor(private readonly persistence?: PersistenceStore) {}

  load(): number {
    if (!this.persistence) return 0;
    for (const u of this.persistence.loadUsers())
      this.byEmailMap.set(normalizeEmail(u.email), { ...u, email: normalizeEmail(u.email) });
    return this.byEmailMap.size;
  }

  get count(): number {
    return this.byEmailMap.size;
  }

  byEmail(email: string): User | undefined {
    return this.byEmailMap.get(normalizeEmail(email));
  }

  byId(id: string): User | undefined {
    for (const u of this.byEmailMap.values()) if (u.id === id) return u;
    return undefined;
  }

  list(): User[] {
    return [...this.byEmailMap.values()];
  }

  /** Insert or update; persistence first so a failed write changes nothing. */
  save(user: User): User {
    this.persistence?.saveUser(user);
    this.byEmailMap.set(normalizeEmail(user.email), user);
    return user;
  }

  delete(id: string): boolean {
    const user = this.byId(id);
    if (!user) return false;
    this.persistence?.deleteUser(id);
    this.byEmailMap.delete(normalizeEmail(user.email));
    return true;
  }

  /** Next numeric id, as upstream numbers users "1", "2", ... */
  nextId(): string {
    let max = 0;
    for (const u of this.byEmailMap.values()) {
      const n = Number(u.id);
      if (Number.isInteger(n) && n > max) max = n;
    }
    return String(max + 1);
  }
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
