// A small library written by SQL for the gallery's tests: dataset 1 ('/zoo'), model 1 (cat, dog, owl) and its run 1,
// one image per path, the run predicting class i % 3 with confidence (i + 1) / 10 for the i-th path.
import { openDatabase } from '../../store/database';

/** Writes the library at `file`; the first `okVerdicts` images get the verdict "ok" on the run. */
export function writeToyLibrary(file: string, relPaths: readonly string[], okVerdicts = 0): void {
  const db = openDatabase(file);
  db.prepare("INSERT INTO datasets (id, root_path, name) VALUES (1, '/zoo', 'zoo')").run();
  db.prepare(`INSERT INTO models (id, hash, name, dir, input_size, labels) VALUES (1, 'h', 'toy', '/m', 224, '["cat","dog","owl"]')`).run();
  db.prepare("INSERT INTO runs (id, dataset_id, model_id, method, layer, backend, state) VALUES (1, 1, 1, 'GradCAM', 'conv', 'cpu', 'done')").run();
  relPaths.forEach((relPath, i) => {
    const id = Number(db.prepare("INSERT INTO images (dataset_id, rel_path, size, mtime_ms, status) VALUES (1, ?, 1, 1, 'done')").run(relPath).lastInsertRowid);
    db.prepare('INSERT INTO predictions (run_id, image_id, rank, class_index, prob) VALUES (1, ?, 0, ?, ?)').run(id, i % 3, (i + 1) / 10);
    if (i < okVerdicts) db.prepare("INSERT INTO run_verdicts (run_id, image_id, verdict) VALUES (1, ?, 'ok')").run(id);
  });
  db.close();
}
