// A worker thread that reads a dataset's gallery columns on a read-only connection of its own and transfers the
// arrays back, so that a large library loads without holding the main thread (the desktop app's IPC, the web
// host's requests) for seconds.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { columnBuffers, readColumns, withOrders } from './gallery-index';

const { file, datasetId, runId } = workerData as { file: string; datasetId: number; runId: number | null };
const db = new Database(file, { readonly: true, fileMustExist: true });
try {
  const data = withOrders(db.transaction(() => readColumns(db, datasetId, runId))());
  parentPort!.postMessage({ data }, columnBuffers(data));
} catch (error) {
  parentPort!.postMessage({ error: error instanceof Error ? error.message : String(error) });
} finally {
  db.close();
}
