// Builds the console's front end (Preact, compiled by Vite's own JSX transform) into console/dist,
// which the console server serves as it is: hashed assets, no CDN, works offline.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // one small app: a single chunk, no inline data URLs (the CSP allows only 'self')
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
});
