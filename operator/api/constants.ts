// Names the operator shares with the cluster: the API group, labels and annotations on owned
// objects, and the field manager. Changing any of these orphans objects of a running install.

export const group = 'workflow.gocodealone.com';
export const version = 'v1alpha1';
export const apiVersion = `${group}/${version}`;
export const kind = 'WorkflowApp';
export const plural = 'workflowapps';
export const singular = 'workflowapp';
export const shortNames = ['wfa'];
export const crdName = `${plural}.${group}`;

/** Server-side apply field manager for everything the operator writes. */
export const fieldManager = 'workflow-operator';

export const labels = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  managedBy: 'app.kubernetes.io/managed-by',
  /** Which Deployment of the app a pod belongs to: stable, canary, blue or green. */
  track: `${group}/track`,
  tenant: `${group}/tenant`,
} as const;

export const engineName = 'workflow-engine';
export const managedByValue = 'workflow-operator';

export const annotations = {
  /** On the pod template: sha256 of config + plugin lock, so a config change rolls the pods. */
  configHash: `${group}/config-hash`,
  /** On Deployments: the pod-template revision the Deployment runs (a rollout compares these). */
  revision: `${group}/revision`,
  /** On every applied object: hash of what the operator last meant it to be (skip unchanged applies). */
  desiredHash: `${group}/desired-hash`,
} as const;

/** Keys of the ConfigMap the operator renders for each Deployment. */
export const configKey = 'workflow.yaml';
export const pluginLockKey = 'plugins.lock.json';
/** Where the engine container finds its config (UPSTREAM.md 9: ConfigMap mounted at /etc/workflow). */
export const configMountPath = '/etc/workflow';
/** An emptyDir the engine fills with the locked plugins at start (WORKFLOW_PLUGIN_DIR). */
export const pluginMountPath = '/var/lib/workflow/plugins';
export const enginePort = 8080;
export const enginePortName = 'http';

/** Longest app name whose derived object names (`<app>-preview` Service) stay valid DNS labels. */
export const maxAppNameLength = 63 - '-preview'.length;
