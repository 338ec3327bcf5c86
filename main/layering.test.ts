// The layering rule of DESIGN.md, and inside main/core the table in eslint.config.js, is enforced by ESLint; these
// cases prove that a wrong import fails the lint.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint();

async function restrictedImportErrors(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

async function coreLayeringErrors(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.filter((m) => m.ruleId === 'sightline/core-layering').map((m) => m.message);
}

describe('layering lint rule', () => {
  it.each([
    ["import { app } from 'electron';\nexport const a = app;", 'main/core/store/bad.ts', /Only the Electron shell/],
    ["import { createCoreService } from '../main/core/service';\nexport const s = createCoreService;", 'renderer/src/bad.ts', /renderer imports only common/],
    ["import { readFileSync } from 'node:fs';\nexport const r = readFileSync;", 'common/bad.ts', /common\/ imports nothing/],
    ["import { startWebHost } from '../web/host';\nexport const h = startWebHost;", 'main/core/bad.ts', /main\/core must not depend/],
    ["import { createCoreService } from '../main/core/service';\nexport const s = createCoreService;", 'preload/bad.ts', /preload imports only/],
  ])('refuses %s in %s', async (code, file, message) => {
    const errors = await restrictedImportErrors(code, file);
    expect(errors.join('\n')).toMatch(message);
  });

  it.each([
    // The store computing metrics (what store/metrics-table.ts did) and the scan writing to the store.
    ["import { suspicionScore } from '../analysis/suspicion';\nexport const s = suspicionScore;", 'main/core/store/bad.ts', /store\/ may import only base, not main\/core\/analysis/],
    ["import type { Store } from '../store/store';\nexport type S = Store;", 'main/core/scan/bad.ts', /scan\/ may import only base, engine, not main\/core\/store/],
    // The engine reaching for the app's paths (what engine/onnx/cache.ts did) or for the scan stage.
    ["import { appPaths } from '../../paths';\nexport const p = appPaths;", 'main/core/engine/onnx/bad.ts', /engine\/ may import only base, not the service layer/],
    ["import { decodeImage } from '../scan/decode';\nexport const d = decodeImage;", 'main/core/engine/bad.ts', /engine\/ may import only base, not main\/core\/scan/],
    ["import { runImport } from '../jobs/import-job';\nexport const r = runImport;", 'main/core/analysis/bad.ts', /analysis\/ may import only base, engine, scan, store, not main\/core\/jobs/],
    ["export { createCoreService } from '../service';", 'main/core/jobs/bad.ts', /jobs\/ may import only .*, not the service layer/],
    ["import { createRuns } from '../service/runs';\nexport const r = createRuns;", 'main/core/models/bad.ts', /models\/ may import only .*, not the service layer/],
    ["import { x } from './x';\nexport const y = x;", 'main/core/newfolder/bad.ts', /main\/core\/newfolder\/ is not in the core layer table/],
  ])('refuses the upward import inside core %s in %s', async (code, file, message) => {
    const errors = await coreLayeringErrors(code, file);
    expect(errors.join('\n')).toMatch(message);
  });

  it('allows the downward imports inside core', async () => {
    const ok = [
      ["import type { Engine } from '../engine/types';\nexport type E = Engine;", 'main/core/scan/ok.ts'],
      ["import { scanFolder } from '../scan/rescan';\nexport const s = scanFolder;", 'main/core/jobs/ok.ts'],
      ["import type { MetricsTable } from '../store/metrics-table';\nexport type M = MetricsTable;", 'main/core/analysis/ok.ts'],
      ["import type { ScanEntry } from '../base/scan-diff';\nexport type S = ScanEntry;", 'main/core/store/ok.ts'],
      ["import { resolveUserPath } from '../user-path';\nexport const r = resolveUserPath;", 'main/core/export/ok.ts'],
      ["import { runImport } from './jobs/import-job';\nexport const r = runImport;", 'main/core/ok.ts'],
      // The service's modules sit on top with service.ts: they import any folder and the files beside service.ts.
      ["import { runImport } from '../jobs/import-job';\nimport { appPaths } from '../paths';\nexport const r = [runImport, appPaths];", 'main/core/service/ok.ts'],
      // Tests assemble the whole stack.
      ["import { createCoreService } from '../../service';\nexport const s = createCoreService;", 'main/core/analysis/test-support/ok.ts'],
    ];
    for (const [code, file] of ok) expect(await coreLayeringErrors(code, file)).toEqual([]);
  });

  it("keeps the transports' zod schemas out of the renderer: types only from query.ts and the contract", async () => {
    const schemaErrors = async (code: string, filePath: string): Promise<string[]> => {
      const [result] = await eslint.lintText(code, { filePath });
      return result.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
    };
    const refused = [
      "import { EMPTY_FILTER } from '../../../common/query';\nexport const f = EMPTY_FILTER;",
      "import { imageFilterSchema } from '../../../common/query';\nexport const s = imageFilterSchema;",
      "import { parseInput } from '../../../common/contract';\nexport const p = parseInput;",
      "import { z } from 'zod';\nexport const n = z.number();",
    ];
    for (const code of refused) expect((await schemaErrors(code, 'renderer/src/lib/bad.ts')).join('\n'), code).toMatch(/take values from common\/query-values/);
    const allowed = [
      "import type { QueryResult } from '../../../common/query';\nexport type Q = QueryResult;",
      "import { EMPTY_FILTER, type ImageFilter } from '../../../common/query-values';\nexport const f: ImageFilter = EMPTY_FILTER;",
    ];
    for (const code of allowed) expect(await schemaErrors(code, 'renderer/src/lib/ok.ts'), code).toEqual([]);
    // The transports and the service validate with the schemas.
    expect(await schemaErrors("import { imageFilterSchema } from '../../common/query';\nexport const s = imageFilterSchema;", 'main/core/ok.ts')).toEqual([]);
  });

  it('allows the imports each layer is meant to have', async () => {
    expect(await restrictedImportErrors("import { app } from 'electron';\nexport const a = app;", 'main/shell/ok.ts')).toEqual([]);
    expect(await restrictedImportErrors("import { parseInput } from '../../common/contract';\nexport const p = parseInput;", 'main/core/ok.ts')).toEqual([]);
    expect(await restrictedImportErrors("import type { Api } from '../../common/contract';\nexport type A = Api;", 'renderer/src/ok.ts')).toEqual([]);
  });
});
