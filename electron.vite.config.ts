import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// One build for the three Electron parts. The main build also emits the CLI (`sightline analyze|serve`)
// and the worker-thread entries (the engine's, the gallery's loader) next to the Electron entry, so `out/main/` runs in plain Node too.
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  main: {
    build: {
      target: 'node20',
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve(root, 'main/index.ts'),
          cli: resolve(root, 'main/cli.ts'),
          'engine-worker': resolve(root, 'main/core/engine/worker.ts'),
          'gallery-worker': resolve(root, 'main/core/store/gallery-worker.ts'),
        },
        // Chunks sit beside the entries: the engine and the gallery find their worker files relative to their own module.
        output: { format: 'es', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload cannot require() anything but electron: bundle it whole, as CommonJS.
      externalizeDeps: false,
      isolatedEntries: true,
      rollupOptions: {
        input: { index: resolve(root, 'preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    plugins: [svelte()],
    build: {
      target: 'chrome130',
      // Minified: the page parses and compiles about a third of the code before its first query (the browser mode's cold first paint).
      minify: true,
      outDir: resolve(root, 'out/renderer'),
      rollupOptions: {
        input: { index: resolve(root, 'renderer/index.html') },
        // The first screen's code in two files (the components; the Svelte runtime, lib/ and common/ as `app`), the
        // parts it does not show (App's LazyComponents) in their own. Left to itself, Rolldown cuts the shared code
        // into several small chunks that the first paint waits for all the same.
        output: { codeSplitting: { groups: [{ name: 'app', test: /node_modules[\\/]svelte|[\\/]renderer[\\/]src[\\/]lib[\\/]|[\\/]common[\\/]/ }] } },
      },
    },
  },
});
