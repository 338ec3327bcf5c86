// The layering rule of DESIGN.md is enforced by ESLint; these cases prove that a wrong import fails the lint.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint();

async function restrictedImportErrors(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
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

  it('allows the imports each layer is meant to have', async () => {
    expect(await restrictedImportErrors("import { app } from 'electron';\nexport const a = app;", 'main/shell/ok.ts')).toEqual([]);
    expect(await restrictedImportErrors("import { parseInput } from '../../common/contract';\nexport const p = parseInput;", 'main/core/ok.ts')).toEqual([]);
    expect(await restrictedImportErrors("import type { Api } from '../../common/contract';\nexport type A = Api;", 'renderer/src/ok.ts')).toEqual([]);
  });
});
