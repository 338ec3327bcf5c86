// A separate process that imports a folder and prints each progress event as a JSON line, so that a test
// can kill it with SIGKILL at any moment. Usage: node --import tsx import-child.ts <dataDir> <folder> <batchSize>
import { createCoreService } from '../../service';

const [dataDir, folder, batchSize] = process.argv.slice(2);
const service = await createCoreService({ dataDir, mode: 'web', batchSize: Number(batchSize) });
const ended = new Promise<string>((resolve) => {
  service.on('jobProgress', (p) => {
    process.stdout.write(`${JSON.stringify(p)}\n`);
    if (p.state !== 'running') resolve(p.state);
  });
});
await service.importFolder({ path: folder });
const state = await ended;
await service.close();
process.exit(state === 'done' ? 0 : 1);
