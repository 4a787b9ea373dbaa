// platform/: public surface. Other folders import it only through this file.
//
// `wfctl up`: the whole platform (devcluster or an existing cluster, git server, registry API,
// operator, web console) started as named steps in one process, with its data in one directory.
export {
  startPlatform,
  type Platform,
  type PlatformInfo,
  type PlatformOptions,
} from './platform.ts';
export { installCrds, shippedCrds } from './crds.ts';
export { defaultPortBase, planPorts, portOffsets, PortInUseError, type PortPlan } from './ports.ts';
export { StepFailedError, type StepEvent } from './steps.ts';
