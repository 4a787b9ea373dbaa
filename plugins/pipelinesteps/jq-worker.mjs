// The jq worker thread started by jq-runner.ts: runs jq (jq-wasm) off the event loop, so a slow or
// runaway program can be stopped by terminating the thread. Plain JavaScript, so that it runs as it
// is from the sources and from dist/ (the build copies it) without a TypeScript loader in the thread.
// A request is {input, program, flags} plus either `id` (answered by message) or `shared` (a
// SharedArrayBuffer: the caller waits on it with Atomics.wait; int32 state, int32 length, UTF-8 text
// of jq's stderr, empty when the program compiled).
import { parentPort } from 'node:worker_threads';
import { loadJq } from 'jq-wasm';

// jq takes a moment to load, and its first run compiles most of its WebAssembly: both happen before
// the runner starts a batch's clock
const ready = loadJq().then((jq) => {
  jq.raw(null, '[range(3)] | map(tostring) | join(",")', ['-n']);
  return jq;
});
ready.then(() => parentPort.postMessage({ ready: true }));

parentPort.on('message', async (msg) => {
  const jq = await ready;
  const result = jq.raw(msg.input, msg.program, msg.flags);
  if (msg.shared) {
    const state = new Int32Array(msg.shared, 0, 2);
    const bytes = new Uint8Array(msg.shared, 8);
    const text = new TextEncoder().encode(result.exitCode === 0 ? '' : result.stderr).subarray(0, bytes.length);
    bytes.set(text);
    state[1] = text.length;
    Atomics.store(state, 0, 1);
    Atomics.notify(state, 0);
    return;
  }
  parentPort.postMessage({ id: msg.id, stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode });
});
