// Schema history. Each entry runs once, in order; `PRAGMA user_version` records how many have run.
// Never edit a shipped entry: append a new one.
export const migrations: readonly string[] = [
  // 1: the library.
  `
  CREATE TABLE datasets (
    id INTEGER PRIMARY KEY,
    root_path TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
  );

  CREATE TABLE images (
    id INTEGER PRIMARY KEY,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    rel_path TEXT NOT NULL,
    content_hash TEXT,
    size INTEGER NOT NULL,
    mtime_ms REAL NOT NULL,
    width INTEGER,
    height INTEGER,
    true_label TEXT,
    true_index INTEGER,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'error')),
    error TEXT,
    UNIQUE (dataset_id, rel_path)
  );

  CREATE TABLE models (
    id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    dir TEXT NOT NULL,
    input_size INTEGER NOT NULL,
    -- JSON array of class names, so stored predictions can be labelled without loading the model.
    labels TEXT NOT NULL
  );

  CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    model_id INTEGER NOT NULL REFERENCES models(id),
    method TEXT NOT NULL,
    layer TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '{}',
    backend TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (dataset_id, model_id, method, layer, options)
  );

  CREATE TABLE predictions (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    rank INTEGER NOT NULL,
    class_index INTEGER NOT NULL,
    prob REAL NOT NULL,
    PRIMARY KEY (run_id, image_id, rank)
  ) WITHOUT ROWID;
  CREATE INDEX predictions_by_image ON predictions(image_id);

  -- values: h*w little-endian float32, row-major, raw (after the method's ReLU, not normalised).
  CREATE TABLE heatmaps (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    class_index INTEGER NOT NULL,
    h INTEGER NOT NULL,
    w INTEGER NOT NULL,
    scale REAL NOT NULL,
    "values" BLOB NOT NULL,
    PRIMARY KEY (run_id, image_id, class_index)
  ) WITHOUT ROWID;
  CREATE INDEX heatmaps_by_image ON heatmaps(image_id);

  CREATE TABLE thumbnails (
    image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
    jpeg BLOB NOT NULL
  );

  CREATE TABLE reviews (
    image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
    verdict TEXT CHECK (verdict IN ('ok', 'misattended', 'label_error', 'unsure')),
    note TEXT NOT NULL DEFAULT '',
    -- Optional region where the evidence should be, as fractions of the oriented image.
    box_x REAL,
    box_y REAL,
    box_w REAL,
    box_h REAL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
  );

  CREATE INDEX runs_by_dataset ON runs(dataset_id, id);
  `,
  // 2: rescans remember removed files (their reviews stay), duplicates are found by hash, and a run
  // records the process that runs it, so that another process never mistakes it for an interrupted one.
  `
  ALTER TABLE images ADD COLUMN removed_at TEXT;
  CREATE INDEX images_by_hash ON images(dataset_id, content_hash);
  ALTER TABLE runs ADD COLUMN owner_pid INTEGER;
  `,
  // 3: the gallery filters, counts and sorts in SQLite. file_name (the part of rel_path after its last '/';
  // rtrim strips every character that is not a '/') is indexed so that sorting by it reads the index instead
  // of computing it per row; the scale index gives the dataset-wide colour scale at once.
  `
  ALTER TABLE images ADD COLUMN file_name TEXT
    GENERATED ALWAYS AS (substr(rel_path, length(rtrim(rel_path, replace(rel_path, '/', ''))) + 1)) VIRTUAL;
  CREATE INDEX images_by_file_name ON images(dataset_id, file_name COLLATE NOCASE, rel_path);
  CREATE INDEX images_by_true_label ON images(dataset_id, true_label);
  CREATE INDEX heatmaps_by_run_scale ON heatmaps(run_id, scale);
  `,
  // 4: attention metrics of each image's top-1 map per run (the cheap ones at import; faithfulness,
  // agreement and the cluster by explicit analysis steps), the suspicion score (indexed per run for sorting and
  // the "suggested for review" filter), and the model-randomisation sanity check of a run.
  `
  CREATE TABLE metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    class_index INTEGER NOT NULL,
    border_mass REAL NOT NULL,
    entropy REAL NOT NULL,
    gini REAL NOT NULL,
    peak_x REAL NOT NULL,
    peak_y REAL NOT NULL,
    area_half_max REAL NOT NULL,
    -- Against the reviewer's expected box (reviews.box_*); NULL while none is drawn.
    pointing_hit INTEGER,
    energy_in_box REAL,
    deletion_auc REAL,
    insertion_auc REAL,
    blur_drop REAL,
    -- Rank correlation with the map of the same image and class in agreement_run_id.
    agreement REAL,
    agreement_run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    -- k-means group of the map among the maps of its predicted class (0 = the most common strategy).
    cluster INTEGER,
    suspicion REAL NOT NULL,
    PRIMARY KEY (run_id, image_id)
  ) WITHOUT ROWID;
  CREATE INDEX metrics_by_suspicion ON metrics(run_id, suspicion);
  CREATE INDEX metrics_by_image ON metrics(image_id);

  CREATE TABLE sanity_checks (
    run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    randomized_layers TEXT NOT NULL,
    similarity REAL NOT NULL,
    sample_size INTEGER NOT NULL,
    warning TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
  );
  `,
  // 5: issue 13, the model registry. A model is added from a folder or a file (`path`) and keeps the setup the
  // person chose (JSON ModelSetup) next to the one Sightline proposed, its candidate layers (JSON) and class count;
  // `labels` holds the current setup's class names. The model with the highest `activation` is the active one.
  // Rows made before the registry (setup NULL) are registered again when their model is added.
  `
  ALTER TABLE models ADD COLUMN format TEXT;
  ALTER TABLE models ADD COLUMN path TEXT;
  ALTER TABLE models ADD COLUMN setup TEXT;
  ALTER TABLE models ADD COLUMN proposed_setup TEXT;
  ALTER TABLE models ADD COLUMN candidate_layers TEXT;
  ALTER TABLE models ADD COLUMN class_count INTEGER;
  ALTER TABLE models ADD COLUMN added_at TEXT;
  ALTER TABLE models ADD COLUMN activation INTEGER;
  CREATE INDEX runs_by_model ON runs(model_id);
  `,
  // 6: issue 15, where a dataset's ground truth comes from ('auto', 'none' or JSON {"level": N}; see
  // DatasetLabelSource) and, per image, the folder level its label came from. Labels made before came from the
  // first-level folder.
  `
  ALTER TABLE datasets ADD COLUMN label_source TEXT NOT NULL DEFAULT 'auto';
  ALTER TABLE images ADD COLUMN true_level INTEGER;
  UPDATE images SET true_level = 1 WHERE true_label IS NOT NULL AND instr(rel_path, '/') > 0;
  `,
  // 7: issue 16, analysis spread over a cluster. A shard library (\`analyze --shard i/n\`) records which shard of
  // each run it computes and when that finished; a merged library records the shards merged into each run, so
  // that merging again skips them (a shard merged while incomplete is merged again).
  `
  CREATE TABLE shard_runs (
    run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    shard_index INTEGER NOT NULL,
    shard_count INTEGER NOT NULL CHECK (shard_index >= 0 AND shard_index < shard_count),
    completed_at TEXT
  );
  CREATE TABLE merged_shards (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    shard_index INTEGER NOT NULL,
    shard_count INTEGER NOT NULL,
    complete INTEGER NOT NULL,
    source TEXT NOT NULL,
    merged_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (run_id, shard_index)
  );
  `,
  // 8: issue 15, free-form tags and saved views. A tag name is unique regardless of case; image_tags is read both
  // ways (an image's tags, a tag's images for the gallery's tag filter). A saved view (filters, sort, overlay as
  // JSON ViewState) belongs to a dataset, or to every dataset when dataset_id is NULL.
  `
  CREATE TABLE tags (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE
  );
  CREATE TABLE image_tags (
    image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (image_id, tag_id)
  ) WITHOUT ROWID;
  CREATE INDEX image_tags_by_tag ON image_tags(tag_id, image_id);
  CREATE TABLE saved_views (
    id INTEGER PRIMARY KEY,
    dataset_id INTEGER REFERENCES datasets(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
  );
  CREATE UNIQUE INDEX saved_views_by_name ON saved_views(COALESCE(dataset_id, 0), name COLLATE NOCASE);
  `,
  // 9: issue 13, ground truth per model. The class a folder names depends on the model's classes (`339_sorrel` is
  // ImageNet's 339 and no class of a 10-class model), so the class index is kept per image and model (a row only
  // where the model has the class); the label text and level stay per image. A library made before keeps its
  // results: each image's index goes to every model with runs on its dataset, as every run read it before.
  `
  CREATE TABLE image_truth (
    image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    true_index INTEGER NOT NULL,
    PRIMARY KEY (image_id, model_id)
  ) WITHOUT ROWID;
  INSERT INTO image_truth (image_id, model_id, true_index)
    SELECT DISTINCT i.id, r.model_id, i.true_index FROM images i JOIN runs r ON r.dataset_id = i.dataset_id
    WHERE i.true_index IS NOT NULL;
  ALTER TABLE images DROP COLUMN true_index;
  `,
  // 10: issue 16, file-name search through an FTS5 trigram index of rel_path (rowid = images.id), so that a search
  // of 3 characters or more reads the index instead of testing every path with LIKE. External content: the paths
  // stay in images only and the index keeps no second copy (a contentless table would be as small but can neither
  // 'rebuild' itself from images nor 'integrity-check' against them); columnsize=0 drops the per-row token counts,
  // which only ranking reads. detail=full (positions) because a search is one phrase of consecutive trigrams: about
  // 115 bytes per image for paths like n02106662/ILSVRC2012_val_00012345.JPEG (detail=none, 55, matches no phrase).
  // Triggers keep it in step with every write to images, whatever writes it (a scan, a merge, a cascade delete).
  // EXPLAIN QUERY PLAN of every gallery statement (query-plan.test.ts) found one more index to add: images_live
  // served the count of a dataset's images before filtering (read by the gallery before its columns), which otherwise reads
  // every row of the dataset for removed_at: 10 ms instead of 80 ms at 200,000 images.
  `
  CREATE VIRTUAL TABLE images_path_fts USING fts5(
    rel_path, content = 'images', content_rowid = 'id', tokenize = 'trigram case_sensitive 0', columnsize = 0
  );
  INSERT INTO images_path_fts (images_path_fts) VALUES ('rebuild');
  CREATE TRIGGER images_path_fts_insert AFTER INSERT ON images BEGIN
    INSERT INTO images_path_fts (rowid, rel_path) VALUES (new.id, new.rel_path);
  END;
  CREATE TRIGGER images_path_fts_delete AFTER DELETE ON images BEGIN
    INSERT INTO images_path_fts (images_path_fts, rowid, rel_path) VALUES ('delete', old.id, old.rel_path);
  END;
  CREATE TRIGGER images_path_fts_rename AFTER UPDATE OF rel_path ON images BEGIN
    INSERT INTO images_path_fts (images_path_fts, rowid, rel_path) VALUES ('delete', old.id, old.rel_path);
    INSERT INTO images_path_fts (rowid, rel_path) VALUES (new.id, new.rel_path);
  END;
  CREATE INDEX IF NOT EXISTS images_live ON images(dataset_id) WHERE removed_at IS NULL;
  `,
  // 11: verdicts on a map belong to its run. "OK", "Misattended" and "Unsure" judge one run's attention map, so
  // that a photo can be misattended by one model and fine under another; they move to run_verdicts, one row per
  // run and image. "Label error" judges the photo and stays in reviews.verdict, as does a verdict given where the
  // dataset had no run yet (both show in every run without a verdict of its own: reviews.ts). A library made before
  // keeps what it showed: each verdict goes to every run of its dataset, as every run showed it before.
  `
  CREATE TABLE run_verdicts (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    verdict TEXT NOT NULL CHECK (verdict IN ('ok', 'misattended', 'unsure')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (run_id, image_id)
  ) WITHOUT ROWID;
  CREATE INDEX run_verdicts_by_image ON run_verdicts(image_id);
  INSERT INTO run_verdicts (run_id, image_id, verdict, updated_at)
    SELECT ru.id, r.image_id, r.verdict, r.updated_at FROM reviews r
    JOIN images i ON i.id = r.image_id JOIN runs ru ON ru.dataset_id = i.dataset_id
    WHERE r.verdict IN ('ok', 'misattended', 'unsure');
  UPDATE reviews SET verdict = NULL WHERE verdict IN ('ok', 'misattended', 'unsure')
    AND image_id IN (SELECT i.id FROM images i WHERE EXISTS (SELECT 1 FROM runs ru WHERE ru.dataset_id = i.dataset_id));
  `,
];
