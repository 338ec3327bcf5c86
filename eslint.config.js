// Lint = the layering rule of DESIGN.md plus TypeScript's recommended checks.
// common → nothing of ours; main/core → common + Node (never electron); shell and web host → core + common;
// preload → common + electron; renderer → common only.
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
);
