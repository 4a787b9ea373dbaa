// auth.user-store (upstream module/auth_user_store.go): users (email, name, scrypt password hash,
// metadata) kept in memory and written through to the app's persistence store (`persistence`, default
// the module named "persistence" or the first persistence.store), in the same `users` table auth.jwt
// uses. Auth modules share it: an auth.jwt with `userStore: <name>` keeps its users here, so several
// auth.jwt modules (say one per audience) and auth.oauth2 logins see the same accounts.
import type { AppContext, ConfigMap, Module, ModuleFactory, TypeSchema } from '../../engine/index.ts';
import { findPersistenceStore } from '../storage/index.ts';
import { ConfigReader } from '../support/index.ts';
import { UserStore } from './user-store.ts';

export const userStoreSchema: TypeSchema = {
  description: 'Users shared by auth modules, written through to a persistence store',
  configFields: [
    {
      key: 'persistence',
      type: 'string',
      description: 'persistence.store module (default: "persistence" or the first one; an addition)',
    },
  ],
};

export class UserStoreModule implements Module {
  readonly type = 'auth.user-store';
  /** Replaced in init, once the persistence store can be looked up. */
  store = new UserStore();
  private loaded = false;

  constructor(
    readonly name: string,
    private readonly persistence?: string,
  ) {}

  init(app: AppContext): void {
    this.store = new UserStore(findPersistenceStore(app, this.persistence));
  }

  /** Loads the persisted users once (whichever of this module and its auth modules starts first). */
  load(): void {
    if (this.loaded) return;
    this.store.load();
    this.loaded = true;
  }

  start(): void {
    this.load();
  }
}

export const createUserStore: ModuleFactory = (spec) =>
  new UserStoreModule(spec.name, new ConfigReader(spec.config as ConfigMap).string('persistence') || undefined);
