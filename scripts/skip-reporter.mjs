// A node:test reporter that writes one JSON line per skipped or todo test ({ file, name, skip, todo }).
// scripts/run-tests.mjs runs it beside the normal reporter and fails the run on any test it reports
// that test/allowed-skips.json does not allow.
export default async function* skipReporter(source) {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { file, name, skip, todo } = event.data;
    if (skip === undefined && todo === undefined) continue;
    yield `${JSON.stringify({ file, name, skip: skip ?? false, todo: todo ?? false })}\n`;
  }
}
