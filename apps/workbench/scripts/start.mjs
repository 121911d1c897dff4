#!/usr/bin/env node
// `nx run workbench:start [--port N] [--hostname H]` (or `serve`, with --dev): the port comes from --port, else
// PORT, else 3000; the server binds to 127.0.0.1 unless --hostname or WORKBENCH_HOST says otherwise.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { dev: { type: 'boolean' }, port: { type: 'string' }, hostname: { type: 'string' } } });
const dev = args.dev === true;
const port = args.port ?? process.env.PORT ?? '3000';
const hostname = args.hostname ?? process.env.WORKBENCH_HOST ?? '127.0.0.1';
if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
  console.error(`workbench: --port must be a port number, got "${port}"`);
  process.exit(2);
}
if (!dev && !existsSync('.next/BUILD_ID')) {
  console.error('workbench: no production build; run `nx run workbench:build` first (or `nx run workbench:serve` for the dev server)');
  process.exit(2);
}
const nextBin = createRequire(import.meta.url).resolve('next/dist/bin/next');
console.log(`workbench: http://${hostname}:${port}/ (${dev ? 'development' : 'production'})`);
// No telemetry: the workbench runs offline, and research machines should not phone home.
const child = spawn(process.execPath, [nextBin, dev ? 'dev' : 'start', '--hostname', hostname, '--port', port], {
  stdio: 'inherit',
  env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
