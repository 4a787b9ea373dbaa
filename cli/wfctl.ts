#!/usr/bin/env node
// Process entry for wfctl (npm bin, `npm start`, `npm run wfctl --`).
import { main } from './main.ts';

const code = await main();
// Long-running commands (run, serve, operator) keep the event loop alive; only failures exit here.
if (code !== 0) process.exit(code);
