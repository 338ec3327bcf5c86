#!/usr/bin/env node
// The `sightline` command. `start` opens the desktop app when Electron is installed and otherwise
// serves the gallery to a browser; every other command is the CLI in out/main/cli.js.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findElectronBinary } from './electron-binary.js';

const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cliPath = path.join(appRoot, 'out', 'main', 'cli.js');
const [command, ...rest] = process.argv.slice(2);

if (!existsSync(cliPath)) {
  process.stderr.write(`sightline: ${path.relative(process.cwd(), cliPath) || cliPath} is missing. Run \`npm run build\` first.\n`);
  process.exit(1);
}

if (command === 'start') {
  const electron = findElectronBinary();
  if ('path' in electron) {
    const child = spawn(electron.path, [appRoot, ...rest], { stdio: 'inherit' });
    child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
    for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  } else {
    process.stderr.write(`The desktop window is not available: ${electron.missing}. Serving the gallery to a browser instead.\n`);
    await runCli(['serve', ...rest]);
  }
} else {
  await runCli(process.argv.slice(2));
}

async function runCli(args) {
  const { main } = await import(pathToFileURL(cliPath).href);
  process.exit(await main(args));
}
