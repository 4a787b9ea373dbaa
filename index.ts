// The package's library entry (`import { Engine } from 'workflow-platform'`): the engine and the
// core plugins every engine loads, for embedding a workflow app in another Node program.
export * from './engine/index.ts';
export { corePlugins } from './plugins/index.ts';
