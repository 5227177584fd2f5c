import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

// The console is built into dist/console and served by devgate itself (decision 0026): every
// asset comes from the same origin, so the Content-Security-Policy can allow only 'self'.
export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  // Preact's automatic JSX runtime through Vite's own (Oxc) transform: no Babel.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    // No inline scripts or styles: the CSP forbids them.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});
