// devcluster: an embedded Kubernetes-compatible API server (HTTPS, bearer token, SQLite state) that
// real kubectl and @kubernetes/client-node accept. Other folders import it only through this file.
//
//   const cluster = await startDevCluster({ dataDir: '/tmp/dc' });
//   // kubectl --kubeconfig cluster.kubeconfigPath get ns
//   await cluster.stop();
export { startDevCluster, type DevCluster, type DevClusterOptions } from './cluster.ts';
export { createCertificateAuthority, issueCertificate, type CertificateAndKey } from './pki/x509.ts';
export {
  defaultImageTable,
  expandTemplate,
  findRuntime,
  loadRuntimesFile,
  translateServerArgs,
  type ImageRuntime,
  type ImageTable,
} from './nodeagent/image-runtimes.ts';
export { findExecTools, inContainerView, type ExecTools } from './nodeagent/container-exec.ts';
