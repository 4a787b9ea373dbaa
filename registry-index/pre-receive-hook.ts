// Entry point run by git as the registry repository's pre-receive hook (installed by the git server).
// stdin: "<old> <new> <ref>" lines; stderr reaches the pusher as "remote:" lines; exit 1 rejects the push.
import { checkPush, parseRefUpdates } from './push-check.ts';

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
try {
  const verdict = await checkPush(process.env.GIT_DIR ?? '.', parseRefUpdates(Buffer.concat(chunks).toString('utf8')));
  for (const line of verdict.lines) process.stderr.write(`${line}\n`);
  process.exitCode = verdict.ok ? 0 : 1;
} catch (err) {
  process.stderr.write(`registry: the push could not be validated: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
