// Set by the build (scripts/build.ts, esbuild's `define`): true in dist/, absent when running the
// TypeScript sources. Code that starts another of our programs uses it to start the same kind.
interface ImportMeta {
  bundled?: true;
}
