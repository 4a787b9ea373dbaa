// storage.artifact: named binary artifacts with string metadata (build outputs, reports), kept on
// the filesystem: `basePath` (default `artifacts`, relative to the app's data directory) holds each
// artifact at its key, and `.artifact-meta/<key>.json` its metadata. `maxSize` (bytes, 0 = no limit)
// caps one artifact. `backend` is filesystem (alias local): s3 and gcs need a cloud account and are
// refused at load by the schema.
// The ArtifactStore service is what step.artifact_* use, found by the module's name.
import {
  defineCapability,
  type AppContext,
  type Module,
  type ModuleFactory,
  type TypeSchema,
} from '../../engine/index.ts';
import { ConfigReader, resolveFrom } from '../support/index.ts';
import { keySegments, LocalFileStore } from './local-file-store.ts';

export interface ArtifactInfo {
  key: string;
  size: number;
  modified: Date;
  metadata: Record<string, string>;
}

export interface ArtifactStore {
  upload(key: string, data: Buffer, metadata: Record<string, string>): Promise<void>;
  /** Throws NotFoundError when there is no such artifact. */
  download(key: string): Promise<{ data: Buffer; metadata: Record<string, string> }>;
  list(prefix: string): Promise<ArtifactInfo[]>;
  /** False when there was no such artifact. */
  delete(key: string): Promise<boolean>;
}
export const ArtifactStoreCap = defineCapability<ArtifactStore>(
  'ArtifactStore',
  'upload',
  'download',
  'list',
  'delete',
);

export class ArtifactTooLargeError extends Error {}

const META_DIR = '.artifact-meta';

export const artifactStoreSchema: TypeSchema = {
  description: 'Stores binary artifacts with metadata on the filesystem',
  configFields: [
    { key: 'backend', type: 'select', options: ['filesystem', 'local'], default: 'filesystem' },
    { key: 'basePath', type: 'filepath', default: 'artifacts', description: "relative to the app's data directory" },
    { key: 'maxSize', type: 'number', default: 0, description: 'largest artifact in bytes (0: no limit)' },
  ],
};

export class ArtifactStoreModule implements Module, ArtifactStore {
  readonly type = 'storage.artifact';
  private files?: LocalFileStore;
  private meta?: LocalFileStore;
  private readonly basePath: string;
  private readonly maxSize: number;

  constructor(
    readonly name: string,
    config: Record<string, unknown>,
  ) {
    const cfg = new ConfigReader(config);
    this.basePath = cfg.string(['basePath', 'base_path'], 'artifacts')!;
    this.maxSize = cfg.number(['maxSize', 'max_size'], 0)!;
  }

  init(app: AppContext): void {
    const root = resolveFrom(app.dataDir, this.basePath);
    this.files = new LocalFileStore(root, META_DIR);
    this.meta = new LocalFileStore(resolveFrom(root, META_DIR));
  }

  private stores(): { files: LocalFileStore; meta: LocalFileStore } {
    if (!this.files || !this.meta) throw new Error(`storage.artifact "${this.name}" is not initialised`);
    return { files: this.files, meta: this.meta };
  }

  async upload(key: string, data: Buffer, metadata: Record<string, string>): Promise<void> {
    const { files, meta } = this.stores();
    keySegments(key);
    if (this.maxSize > 0 && data.length > this.maxSize)
      throw new ArtifactTooLargeError(`artifact is ${data.length} bytes; this store takes at most ${this.maxSize}`);
    // metadata first: an artifact is listed only once its bytes are in place
    await meta.put(`${key}.json`, Buffer.from(JSON.stringify(metadata)));
    await files.put(key, data);
  }

  async download(key: string): Promise<{ data: Buffer; metadata: Record<string, string> }> {
    const { files } = this.stores();
    const data = await files.get(key);
    return { data, metadata: await this.metadataOf(key) };
  }

  async list(prefix: string): Promise<ArtifactInfo[]> {
    const { files } = this.stores();
    const found = await files.list(prefix);
    return Promise.all(found.map(async (f) => ({ ...f, metadata: await this.metadataOf(f.key) })));
  }

  async delete(key: string): Promise<boolean> {
    const { files, meta } = this.stores();
    const existed = await files.delete(key);
    await meta.delete(`${key}.json`);
    return existed;
  }

  private async metadataOf(key: string): Promise<Record<string, string>> {
    try {
      return JSON.parse((await this.stores().meta.get(`${key}.json`)).toString('utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  }
}

export const createArtifactStore: ModuleFactory = (spec) => new ArtifactStoreModule(spec.name, spec.config);
