// storage.local: a directory as a key -> file store (`rootDir`*, relative to the config file's
// directory, as upstream; created at start). Its FileStorage service (put/get/delete/list/stat by
// slash-separated key) is registered under the module's name for other modules to use; keys can
// never leave the directory.
import { mkdir } from 'node:fs/promises';
import { defineCapability, type Module, type ModuleFactory, type TypeSchema } from '../../engine/index.ts';
import { ConfigReader, resolveFrom } from '../support/index.ts';
import { type FileInfo, LocalFileStore } from './local-file-store.ts';

export interface FileStorage {
  put(key: string, data: Buffer): Promise<void>;
  get(key: string): Promise<Buffer>;
  delete(key: string): Promise<boolean>;
  list(prefix?: string): Promise<FileInfo[]>;
  stat(key: string): Promise<FileInfo | undefined>;
}
export const FileStorageCap = defineCapability<FileStorage>('FileStorage', 'put', 'get', 'delete', 'list', 'stat');

export const storageLocalSchema: TypeSchema = {
  description: 'Local directory as a key -> file store',
  configFields: [
    { key: 'rootDir', type: 'filepath', required: true, description: "relative to the config file's directory" },
  ],
};

export class StorageLocalModule extends LocalFileStore implements Module, FileStorage {
  readonly type = 'storage.local';

  constructor(
    readonly name: string,
    root: string,
  ) {
    super(root);
  }

  async start(): Promise<void> {
    await mkdir(this.root, { recursive: true });
  }
}

export const createStorageLocal: ModuleFactory = (spec, app) => {
  const rootDir = new ConfigReader(spec.config).requiredString('rootDir', 'rootDir: ./data/files');
  return new StorageLocalModule(spec.name, resolveFrom(String(spec.config._config_dir ?? app.configDir), rootDir));
};
