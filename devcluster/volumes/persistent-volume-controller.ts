// kube-controller-manager's persistent-volume controllers, for one node:
// - binder: an unbound claim gets the best matching Available volume (volume-binding.ts), or a new
//   one from its StorageClass's provisioner (the local-path one is built in); claim and volume then
//   point at each other and both report Bound;
// - reclaim: a volume whose claim is gone is Released; Delete removes it (and a provisioned volume's
//   directory), Retain keeps both for an administrator;
// - protection: a claim in use by a pod, and a bound volume, keep their protection finalizers until
//   they are free, so deleting them never pulls data out from under a running pod.
import { rmSync } from 'node:fs';
import type { Logger } from 'pino';
import { systemContext, type ObjectApi } from '../api/object-api.ts';
import { Controller, tolerating } from '../controllers/controller.ts';
import type { EventRecorder } from '../controllers/event-recorder.ts';
import { deepEqual } from '../logic/schema.ts';
import { pickDefaultClass, PV_PROTECTION, PVC_PROTECTION } from '../resources/builtin/storage.ts';
import type { ResourceCatalog } from '../resources/catalog.ts';
import { nowSeconds, type KubeObject } from '../resources/object-meta.ts';
import type { ResourceType } from '../resources/resource-type.ts';
import type { Change, WatchCache } from '../storage/watch-cache.ts';
import type { HostFilesystem } from './host-filesystem.ts';
import { LOCAL_PATH_PROVISIONER, provisionedPath, provisionedVolume } from './local-path-provisioner.ts';
import { claimNames } from './pod-volumes.ts';
import { findMatchingVolume, SELECTED_NODE_ANNOTATION } from './volume-binding.ts';

const ctx = () => systemContext('persistentvolume-binder-controller');
const BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
const BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
const STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
const STORAGE_PROVISIONER_BETA = 'volume.beta.kubernetes.io/storage-provisioner';

interface ClaimSpec {
  storageClassName?: string;
  volumeName?: string;
}
interface VolumeSpec {
  claimRef?: { namespace?: string; name?: string; uid?: string };
  persistentVolumeReclaimPolicy?: string;
  capacity?: Record<string, string>;
  accessModes?: string[];
  hostPath?: { path: string };
}
const phaseOf = (o: KubeObject | undefined) => (o?.status as { phase?: string } | undefined)?.phase;

export class PersistentVolumeController extends Controller {
  /** claim uid -> the last waiting reason told in an event */
  private readonly told = new Map<string, string>();

  constructor(
    private readonly api: ObjectApi,
    private readonly catalog: ResourceCatalog,
    cache: WatchCache,
    private readonly logger: Logger,
    private readonly events: EventRecorder,
    private readonly host: HostFilesystem,
    private readonly nodeName: string,
  ) {
    super(cache, logger);
  }

  private get claims(): ResourceType {
    return this.catalog.lookup('', 'v1', 'persistentvolumeclaims')!;
  }
  private get volumes(): ResourceType {
    return this.catalog.lookup('', 'v1', 'persistentvolumes')!;
  }
  private get classes(): ResourceType {
    return this.catalog.lookup('storage.k8s.io', 'v1', 'storageclasses')!;
  }

  start(): void {
    for (const c of this.api.list(this.claims, undefined).items) this.queue.add(claimKey(c));
    for (const v of this.api.list(this.volumes, undefined).items) this.queue.add(`volume:${v.metadata.name}`);
  }

  protected onChange(change: Change): void {
    const objects = [change.object, change.oldObject].filter(Boolean) as unknown as KubeObject[];
    if (change.storageKey === '/persistentvolumeclaims') {
      this.queue.add(`claim:${change.namespace}/${change.name}`);
      for (const o of objects) {
        const volume = (o.spec as ClaimSpec | undefined)?.volumeName;
        if (volume) this.queue.add(`volume:${volume}`);
      }
    } else if (change.storageKey === '/persistentvolumes') {
      this.queue.add(`volume:${change.name}`);
      for (const o of objects) {
        const ref = (o.spec as VolumeSpec | undefined)?.claimRef;
        if (ref?.name) this.queue.add(`claim:${ref.namespace}/${ref.name}`);
      }
      // a volume that became Available may serve a waiting claim
      if (phaseOf(change.object as unknown as KubeObject) === 'Available') this.enqueuePendingClaims();
    } else if (change.storageKey === '/pods') {
      // pods starting or going away change whether a claim is in use (protection) or wanted (WaitForFirstConsumer)
      for (const o of objects) for (const name of claimNames(o)) this.queue.add(`claim:${change.namespace}/${name}`);
    } else if (change.storageKey === 'storage.k8s.io/storageclasses') {
      this.enqueuePendingClaims();
    }
  }

  private enqueuePendingClaims(): void {
    for (const c of this.api.list(this.claims, undefined).items)
      if (phaseOf(c) !== 'Bound') this.queue.add(claimKey(c));
  }

  protected async reconcile(key: string): Promise<void> {
    if (key.startsWith('volume:')) return this.reconcileVolume(key.slice(7));
    const [namespace, name] = key.slice(6).split('/') as [string, string];
    const claim = this.api.tryGet(this.claims, namespace, name);
    if (!claim) return;
    if (claim.metadata.deletionTimestamp) return this.releaseProtection(claim);
    const spec = (claim.spec ?? {}) as ClaimSpec;
    if (spec.volumeName && claim.metadata.annotations?.[BIND_COMPLETED]) return this.syncBoundClaim(claim);
    await this.bindOrProvision(claim);
  }

  // ---------------------------------------------------------------------------------------------
  // claims

  private async syncBoundClaim(claim: KubeObject): Promise<void> {
    const volumeName = (claim.spec as ClaimSpec).volumeName!;
    const volume = this.api.tryGet(this.volumes, '', volumeName);
    if (!volume) {
      if (phaseOf(claim) !== 'Lost') {
        this.events.record(
          claim,
          'Warning',
          'ClaimLost',
          `Bound claim has lost reference to PersistentVolume. Data on the volume is lost!`,
        );
        await this.setClaimStatus(claim, { phase: 'Lost' });
      }
      return;
    }
    const ref = (volume.spec as VolumeSpec).claimRef;
    if (!ref) {
      await this.bindVolume(volume, claim);
      return;
    }
    if (ref.uid !== claim.metadata.uid) return; // the volume serves another claim: this one stays as it is
    await this.setClaimStatus(claim, {
      phase: 'Bound',
      accessModes: (volume.spec as VolumeSpec).accessModes,
      capacity: (volume.spec as VolumeSpec).capacity,
    });
  }

  private async bindOrProvision(claim: KubeObject): Promise<void> {
    let spec = (claim.spec ?? {}) as ClaimSpec;
    if (spec.storageClassName === undefined && !spec.volumeName) {
      // retroactive default class assignment (kube 1.28+): a claim made before any default existed
      const fallback = pickDefaultClass(this.api.list(this.classes, undefined).items);
      if (fallback) {
        const updated = await this.api
          .patch(
            this.claims,
            claim.metadata.namespace!,
            claim.metadata.name!,
            'merge',
            {
              spec: { storageClassName: fallback.metadata.name },
            },
            ctx(),
          )
          .catch(tolerating(404, 409, 422));
        if (!updated) return;
        claim = updated;
        spec = claim.spec as ClaimSpec;
      }
    }
    const match = findMatchingVolume(claim, this.api.list(this.volumes, undefined).items, this.nodeName);
    if (match) return this.bind(claim, match);
    if (spec.volumeName) {
      // pre-bound to a volume that does not (yet) exist or does not fit: wait for it
      return this.warnOnce(
        claim,
        'FailedBinding',
        `volume "${spec.volumeName}" is not available or does not fit the claim`,
      );
    }
    const className = spec.storageClassName ?? '';
    if (!className)
      return this.warnOnce(
        claim,
        'FailedBinding',
        'no persistent volumes available for this claim and no storage class is set',
      );
    const sc = this.api.tryGet(this.classes, '', className);
    if (!sc) return this.warnOnce(claim, 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`);
    const provisioner = String(sc.provisioner);
    if (claim.metadata.annotations?.[STORAGE_PROVISIONER] !== provisioner) {
      await this.api
        .patch(
          this.claims,
          claim.metadata.namespace!,
          claim.metadata.name!,
          'merge',
          {
            metadata: { annotations: { [STORAGE_PROVISIONER]: provisioner, [STORAGE_PROVISIONER_BETA]: provisioner } },
          },
          ctx(),
        )
        .catch(tolerating(404, 409));
      return; // the change brings the claim back
    }
    if (provisioner !== LOCAL_PATH_PROVISIONER) {
      return this.normalOnce(
        claim,
        'ExternalProvisioning',
        `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually ` +
          `by the system administrator. If volume creation is delayed, please verify that the provisioner is ` +
          `running and correctly registered.`,
      );
    }
    if (sc.volumeBindingMode === 'WaitForFirstConsumer' && !claim.metadata.annotations?.[SELECTED_NODE_ANNOTATION])
      return this.normalOnce(claim, 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
    await this.provision(claim, sc);
  }

  private async provision(claim: KubeObject, sc: KubeObject): Promise<void> {
    const volume = provisionedVolume(claim, sc, this.nodeName);
    if (this.api.tryGet(this.volumes, '', volume.metadata.name!)) return; // already made; binding follows
    this.events.record(
      claim,
      'Normal',
      'Provisioning',
      `External provisioner is provisioning volume for claim "${claim.metadata.namespace}/${claim.metadata.name}"`,
    );
    const path = (volume.spec as VolumeSpec).hostPath!.path;
    this.host.setUp(volume.metadata.name!, path, 'DirectoryOrCreate');
    await this.api.create(this.volumes, '', volume, ctx()).catch(tolerating(409));
    this.events.record(
      claim,
      'Normal',
      'ProvisioningSucceeded',
      `Successfully provisioned volume ${volume.metadata.name}`,
    );
  }

  /** Claim and volume point at each other: the volume first, so a crash in between is repaired. */
  private async bind(claim: KubeObject, volume: KubeObject): Promise<void> {
    const bound = await this.bindVolume(volume, claim);
    if (!bound) return;
    const updated = await this.api
      .patch(
        this.claims,
        claim.metadata.namespace!,
        claim.metadata.name!,
        'merge',
        {
          metadata: {
            resourceVersion: claim.metadata.resourceVersion,
            annotations: { [BIND_COMPLETED]: 'yes', [BOUND_BY_CONTROLLER]: 'yes' },
          },
          spec: { volumeName: volume.metadata.name },
        },
        ctx(),
      )
      .catch(tolerating(404, 409));
    if (!updated) return;
    await this.setClaimStatus(updated, {
      phase: 'Bound',
      accessModes: (bound.spec as VolumeSpec).accessModes,
      capacity: (bound.spec as VolumeSpec).capacity,
    });
  }

  private async bindVolume(volume: KubeObject, claim: KubeObject): Promise<KubeObject | undefined> {
    const ref = (volume.spec as VolumeSpec).claimRef;
    let current: KubeObject | undefined = volume;
    if (!ref?.uid) {
      current = await this.api
        .patch(
          this.volumes,
          '',
          volume.metadata.name!,
          'merge',
          {
            metadata: {
              resourceVersion: volume.metadata.resourceVersion,
              ...(ref ? {} : { annotations: { [BOUND_BY_CONTROLLER]: 'yes' } }),
            },
            spec: {
              claimRef: {
                apiVersion: 'v1',
                kind: 'PersistentVolumeClaim',
                namespace: claim.metadata.namespace,
                name: claim.metadata.name,
                uid: claim.metadata.uid,
                resourceVersion: claim.metadata.resourceVersion,
              },
            },
          },
          ctx(),
        )
        .catch(tolerating(404, 409));
      if (!current) return undefined;
    }
    return this.setVolumePhase(current, 'Bound');
  }

  private inUse(claim: KubeObject): boolean {
    const pods = this.catalog.lookup('', 'v1', 'pods')!;
    return this.api
      .list(pods, claim.metadata.namespace)
      .items.some(
        (p) => claimNames(p).includes(claim.metadata.name!) && !['Succeeded', 'Failed'].includes(String(phaseOf(p))),
      );
  }

  private async releaseProtection(claim: KubeObject): Promise<void> {
    if (!claim.metadata.finalizers?.includes(PVC_PROTECTION) || this.inUse(claim)) return;
    await this.api
      .patch(
        this.claims,
        claim.metadata.namespace!,
        claim.metadata.name!,
        'json',
        [
          { op: 'test', path: '/metadata/resourceVersion', value: claim.metadata.resourceVersion },
          {
            op: 'replace',
            path: '/metadata/finalizers',
            value: claim.metadata.finalizers.filter((f) => f !== PVC_PROTECTION),
          },
        ],
        ctx(),
      )
      .catch(tolerating(404, 409, 422));
  }

  // ---------------------------------------------------------------------------------------------
  // volumes

  private async reconcileVolume(name: string): Promise<void> {
    const volume = this.api.tryGet(this.volumes, '', name);
    if (!volume) return;
    const spec = (volume.spec ?? {}) as VolumeSpec;
    if (volume.metadata.deletionTimestamp) {
      if (volume.metadata.finalizers?.includes(PV_PROTECTION) && phaseOf(volume) !== 'Bound') {
        await this.api
          .patch(
            this.volumes,
            '',
            name,
            'json',
            [
              { op: 'test', path: '/metadata/resourceVersion', value: volume.metadata.resourceVersion },
              {
                op: 'replace',
                path: '/metadata/finalizers',
                value: volume.metadata.finalizers.filter((f) => f !== PV_PROTECTION),
              },
            ],
            ctx(),
          )
          .catch(tolerating(404, 409, 422));
      }
      return;
    }
    const ref = spec.claimRef;
    if (!ref) {
      await this.setVolumePhase(volume, 'Available');
      return;
    }
    const claim = ref.name ? this.api.tryGet(this.claims, ref.namespace ?? '', ref.name) : undefined;
    if (!ref.uid) {
      // reserved for a claim by name: it waits, Available, for that claim
      await this.setVolumePhase(volume, 'Available');
      return;
    }
    if (claim && claim.metadata.uid === ref.uid) {
      // bound, or binding (the claim side follows)
      if ((claim.spec as ClaimSpec).volumeName === name) await this.setVolumePhase(volume, 'Bound');
      return;
    }
    // the claim is gone: the volume is released and reclaimed by its policy
    const released = await this.setVolumePhase(volume, 'Released');
    if (!released) return;
    const policy = spec.persistentVolumeReclaimPolicy ?? 'Retain';
    if (policy === 'Delete') {
      const path = provisionedPath(volume);
      if (path) rmSync(this.host.resolve(path), { recursive: true, force: true });
      await this.api.delete(this.volumes, '', name, {}, ctx()).catch(tolerating(404, 409));
      this.logger.info({ volume: name, path }, 'deleted a released volume (reclaim policy Delete)');
    } else if (policy === 'Recycle') {
      const dir = spec.hostPath?.path;
      if (dir) {
        rmSync(this.host.resolve(dir), { recursive: true, force: true });
        this.host.setUp(name, dir, 'DirectoryOrCreate');
      }
      await this.api
        .patch(this.volumes, '', name, 'json', [{ op: 'remove', path: '/spec/claimRef' }], ctx())
        .catch(tolerating(404, 409, 422));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // status helpers

  private async setVolumePhase(volume: KubeObject, phase: string): Promise<KubeObject | undefined> {
    if (phaseOf(volume) === phase) return volume;
    return this.api
      .patch(
        this.volumes,
        '',
        volume.metadata.name!,
        'merge',
        {
          status: { phase, lastPhaseTransitionTime: nowSeconds() },
        },
        ctx(),
        { subresource: 'status' },
      )
      .catch(tolerating(404, 409));
  }

  private async setClaimStatus(claim: KubeObject, status: Record<string, unknown>): Promise<void> {
    const current = (claim.status ?? {}) as Record<string, unknown>;
    if (Object.entries(status).every(([k, v]) => deepEqual(current[k], v))) return;
    await this.api
      .patch(this.claims, claim.metadata.namespace!, claim.metadata.name!, 'merge', { status }, ctx(), {
        subresource: 'status',
      })
      .catch(tolerating(404, 409));
  }

  /** An event the first time a claim waits for a given reason (a level-triggered loop would repeat it). */
  private warnOnce(claim: KubeObject, reason: string, message: string): void {
    this.eventOnce(claim, 'Warning', reason, message);
  }
  private normalOnce(claim: KubeObject, reason: string, message: string): void {
    this.eventOnce(claim, 'Normal', reason, message);
  }
  private eventOnce(claim: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const key = claim.metadata.uid!;
    if (this.told.get(key) === `${reason}:${message}`) return;
    this.told.set(key, `${reason}:${message}`);
    if (this.told.size > 10_000) this.told.delete(this.told.keys().next().value!);
    this.events.record(claim, type, reason, message);
  }
}

function claimKey(c: KubeObject): string {
  return `claim:${c.metadata.namespace}/${c.metadata.name}`;
}
