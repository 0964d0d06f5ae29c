/**
 * Build 1 and 3 of 3: the standalone shell (dist/index.html) and the Module Federation remote
 * (dist/remoteEntry.js exposing ./App and ./RunView, React shared as a singleton), from one build.
 * In dev, /api (and its WebSocket) is proxied to ORCH_GATEWAY (default http://127.0.0.1:8080).
 */
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { federation } from '@module-federation/vite';

const gateway = process.env.ORCH_GATEWAY ?? 'http://127.0.0.1:8080';

export default defineConfig({
  base: './',
  plugins: [
    react(),
    federation({
      name: 'orchestrator_lite',
      filename: 'remoteEntry.js',
      exposes: {
        './App': './src/exposes/app.tsx',
        './RunView': './src/exposes/run-view.tsx',
      },
      shared: {
        react: { singleton: true, requiredVersion: '^19.0.0' },
        'react-dom': { singleton: true, requiredVersion: '^19.0.0' },
      },
      bundleAllCSS: true,
      dts: false,
    }),
  ],
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  server: { host: '127.0.0.1', proxy: { '/api': { target: gateway, ws: true, changeOrigin: true } } },
  preview: { host: '127.0.0.1' },
});
