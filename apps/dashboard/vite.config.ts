import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// Built into dist/ and served by the Manager at /ui (apps/http): every asset from the same
// origin, no inline script (the page's Content-Security-Policy is default-src 'self').
export default defineConfig({
  base: '/ui/',
  plugins: [preact()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: true,
  },
});
