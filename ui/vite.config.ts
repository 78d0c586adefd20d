import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// The dev and preview servers forward `/api` to a running `melody serve`, so the
// UI is same-origin with the API just as it is when the binary embeds `dist/`.
const apiTarget = process.env.MELODY_API ?? 'http://127.0.0.1:4242';

export default defineConfig({
  plugins: [preact()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 800 },
  server: { host: '127.0.0.1', proxy: { '/api': apiTarget } },
  preview: { host: '127.0.0.1', proxy: { '/api': apiTarget } },
});
