// console/: public surface. Other folders import it only through this file.
//
// The web console: a built front end (console/web -> console/dist) and its server, a thin layer over
// the cluster (a watch of WorkflowApps, WorkflowSources and WorkflowTenants), the registry API and
// the license server.
export { startConsole, defaultStaticDir, type ConsoleOptions, type ConsoleServer } from './server/console-server.ts';
export type * from './api-types.ts';
