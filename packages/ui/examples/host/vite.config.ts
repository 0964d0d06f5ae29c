/**
 * An example host application that loads the Orchestrator-lite remote at run time. It is built
 * into dist/examples/host/, so any server of the UI build also serves it.
 * Open it with `?remote=<url of remoteEntry.js>` (default: the remoteEntry.js of the same server).
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { federation } from '@module-federation/vite';

const here = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  plugins: [
    react(),
    federation({
      name: 'ol_example_host',
      remotes: {},
      shared: {
        react: { singleton: true, requiredVersion: '^19.0.0' },
        'react-dom': { singleton: true, requiredVersion: '^19.0.0' },
      },
      dts: false,
    }),
  ],
  build: { target: 'es2022', outDir: resolve(here, '../../dist/examples/host'), emptyOutDir: true },
});
