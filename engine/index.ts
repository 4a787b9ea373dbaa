// engine/: public surface. Other folders import the engine only through this file.
export * from './contract.ts';
export { engineVersion, engineImage } from './version.ts';
