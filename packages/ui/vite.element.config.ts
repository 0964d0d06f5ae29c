/**
 * Build 2 of 3: the custom element `<orchestrator-lite-app>` as one self-contained ES module
 * (dist/element/orchestrator-lite.js) with React inside and its CSS injected into the shadow root.
 * It also copies examples/element.html to dist/examples/, next to the example host.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const here = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  plugins: [
    react(),
    {
      name: 'copy-element-example',
      closeBundle() {
        mkdirSync(resolve(here, 'dist/examples'), { recursive: true });
        copyFileSync(resolve(here, 'examples/element.html'), resolve(here, 'dist/examples/element.html'));
      },
    },
  ],
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  build: {
    target: 'es2022',
    outDir: 'dist/element',
    emptyOutDir: true,
    cssCodeSplit: false,
    chunkSizeWarningLimit: 1500,
    lib: {
      entry: resolve(here, 'src/entries/element.tsx'),
      formats: ['es'],
      fileName: () => 'orchestrator-lite.js',
    },
  },
});
