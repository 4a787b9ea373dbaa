// platform/: public surface. Other folders import it only through this file.
//
// `wfctl up`: the whole platform (devcluster or an existing cluster with the CRDs, git server,
// registry API, license server, operator with its admission webhook, the apps source, web console)
// started as named steps in one process, with its data in one directory.
export {
  startPlatform,
  type Platform,
  type PlatformInfo,
  type PlatformOptions,
} from './platform.ts';
export { defaultPortBase, planPorts, portOffsets, PortInUseError, type PortPlan } from './ports.ts';
export { StepFailedError, type StepEvent } from './steps.ts';
