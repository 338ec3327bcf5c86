// Lint = the layering rule of DESIGN.md plus TypeScript's recommended checks.
// common → nothing of ours; main/core → common + Node (never electron); shell and web host → core + common;
// preload → common + electron; renderer → common only.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import tseslint from 'typescript-eslint';
import svelteParser from 'svelte-eslint-parser';

const electron = { name: 'electron', message: 'Only the Electron shell (main/index.ts, main/shell/) and preload may import electron.' };
const pattern = (group, message) => ({ group, message });

const layers = [
  {
    files: ['common/**/*.ts'],
    paths: [electron],
    patterns: [pattern(['**/main/**', '**/renderer/**', '**/preload/**', 'node:*'], 'common/ imports nothing of ours and no Node: it is shared by every layer.')],
  },
  {
    files: ['main/core/**/*.ts'],
    paths: [electron],
    patterns: [pattern(['**/shell/**', '**/web/**', '**/renderer/**', '**/preload/**'], 'main/core must not depend on the shell, the web host or the UI.')],
  },
  {
    files: ['main/web/**/*.ts', 'main/cli.ts'],
    paths: [electron],
    patterns: [pattern(['**/shell/**', '**/renderer/**', '**/preload/**'], 'The web host and CLI run without Electron.')],
  },
  {
    files: ['preload/**/*.ts'],
    patterns: [pattern(['**/main/**', '**/renderer/**', 'node:*'], 'preload imports only common/ and electron.')],
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.svelte'],
    paths: [electron],
    patterns: [pattern(['**/main/**', '**/preload/**', 'node:*'], 'The renderer imports only common/ (types and schemas).')],
  },
];

// Inside main/core the arrows point down: each folder imports itself, core/base/ (types and helpers below every
// folder), common/ and only the folders it lists here. The files directly in main/core and in service/ (the service
// and its helpers) sit on top and may import any folder; of them only user-path.ts counts as base. Tests and
// test-support/ assemble the whole stack and are exempt.
//   engine, store  ← nothing of core
//   scan           ← engine
//   analysis       ← engine, scan, store      (analysis computes the metrics, store only stores them)
//   export         ← store
//   models         ← engine, scan, store
//   jobs           ← engine, scan, store, analysis
//   merge          ← scan, store, analysis, jobs
const CORE_IMPORTS = {
  base: [],
  engine: [],
  store: [],
  scan: ['engine'],
  analysis: ['engine', 'scan', 'store'],
  export: ['store'],
  models: ['engine', 'scan', 'store'],
  jobs: ['engine', 'scan', 'store', 'analysis'],
  merge: ['scan', 'store', 'analysis', 'jobs'],
};
const CORE_BASE_FILES = ['user-path'];
/** The service's modules: the same layer as the files directly in main/core. */
const SERVICE_DIR = 'service';
const coreDir = fileURLToPath(new URL('./main/core/', import.meta.url));

/** The core folder (or 'root' for a file of the service layer) that a file belongs to; null outside core. */
function coreLayer(file) {
  const relative = path.relative(coreDir, file);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return null;
  const parts = relative.split(path.sep);
  if (parts.length > 1) return parts[0] === SERVICE_DIR ? 'root' : parts[0];
  return CORE_BASE_FILES.includes(path.basename(relative).replace(/\.[^.]+$/, '')) ? 'base' : 'root';
}

const coreLayering = {
  meta: { type: 'problem', schema: [] },
  create(context) {
    const from = coreLayer(context.filename);
    if (from === null || from === 'root') return {};
    const allowed = CORE_IMPORTS[from];
    if (!allowed) {
      const message = `main/core/${from}/ is not in the core layer table of eslint.config.js: add it.`;
      return { Program: (node) => context.report({ node, message }) };
    }
    const check = (node, specifier) => {
      if (typeof specifier !== 'string' || !specifier.startsWith('.')) return;
      const to = coreLayer(path.resolve(path.dirname(context.filename), specifier));
      if (to === null || to === from || to === 'base') return;
      if (allowed.includes(to)) return;
      const target = to === 'root' ? 'the service layer (main/core/*.ts, main/core/service/)' : `main/core/${to}/`;
      const may = ['base', ...allowed].join(', ');
      context.report({ node, message: `Upward import inside core: main/core/${from}/ may import only ${may}, not ${target}.` });
    };
    const fromSource = (node) => node.source && check(node, node.source.value);
    return {
      ImportDeclaration: fromSource,
      ExportAllDeclaration: fromSource,
      ExportNamedDeclaration: fromSource,
      ImportExpression: (node) => check(node, node.source.value),
      TSImportType: (node) => check(node, node.argument?.literal?.value),
    };
  },
};

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'e2e/artifacts/**', 'resources/**', '**/__fixtures__/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.svelte'],
    languageOptions: { parser: svelteParser, parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
  },
  {
    files: ['**/*.svelte.ts'],
    languageOptions: { parser: tseslint.parser },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...layers.map(({ files, paths = [], patterns = [] }) => ({
    files,
    rules: { 'no-restricted-imports': ['error', { paths, patterns }] },
  })),
  {
    // The renderer takes only types from the contract and query.ts: their values build zod schemas, a quarter of
    // the page's script to load and compile before its first paint. Values come from common/query-values.ts.
    files: ['renderer/**/*.ts', 'renderer/**/*.svelte'],
    ignores: ['**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/common/query', '**/common/contract', 'zod'],
              allowTypeImports: true,
              message: 'The renderer imports only types from common/query and common/contract (their zod schemas stay out of its bundle): take values from common/query-values.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['main/core/**/*.ts'],
    ignores: ['**/*.test.ts', '**/test-support/**'],
    plugins: { sightline: { rules: { 'core-layering': coreLayering } } },
    rules: { 'sightline/core-layering': 'error' },
  },
);
