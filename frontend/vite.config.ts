/// <reference types="vitest/config" />
import { fileURLToPath, URL } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import { VitePWA } from 'vite-plugin-pwa'

const backend = 'http://127.0.0.1:8000'

/**
 * The installed app's window colours, from src/styles/main.css: the title bar takes the
 * header's surface (index.html's theme-color meta tags follow the reader's light or dark
 * scheme; the manifest can name only one), the splash screen the page background.
 */
const THEME = { surface: '#ffffff', background: '#f6f7f9' }

// Django serves dist/index.html for every non-API path and dist/** under /static/;
// dist/sw.js and dist/manifest.webmanifest at the site root (parley/web/views.py), so the
// service worker's scope is the whole app.
export default defineConfig({
  base: '/static/',
  plugins: [
    vue(),
    VitePWA({
      // Our own worker (src/sw.ts): Workbox precaching plus the push handlers.
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      // The worker and the manifest live at the root, the assets under /static/.
      base: '/',
      scope: '/',
      // A new version waits until the reader says "Reload" (AppUpdatePrompt.vue).
      registerType: 'prompt',
      // AppUpdatePrompt registers the worker itself (after the first screen), no extra script tag.
      injectRegister: false,
      manifestFilename: 'manifest.webmanifest',
      includeManifestIcons: true,
      manifest: {
        id: '/',
        name: 'Parley',
        short_name: 'Parley',
        description: 'Self-hosted group chat: rooms, direct messages and threads.',
        lang: 'en',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        orientation: 'any',
        theme_color: THEME.surface,
        background_color: THEME.background,
        categories: ['social', 'productivity'],
        icons: [
          { src: '/static/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: '/static/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: '/static/icons/maskable-192.png', sizes: '192x192', type: 'image/png', purpose: 'maskable' },
          { src: '/static/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
          { src: '/static/favicon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' },
        ],
      },
      injectManifest: {
        // Precache entries are paths under dist/; the browser finds them under /static/.
        modifyURLPrefix: { '': '/static/' },
        dontCacheBustURLsMatching: /(^|\/)assets\//,
        globPatterns: ['**/*.{js,css,html,svg,png,woff2}'],
        // The per-language catalogues and the big optional chunks load when asked; what is
        // not precached is fetched from the network (and the browser's HTTP cache) as before.
        maximumFileSizeToCacheInBytes: 3 * 1024 * 1024,
      },
    }),
  ],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    strictPort: true,
    proxy: {
      '/api': { target: backend, changeOrigin: false },
      '/ws': { target: backend, ws: true, changeOrigin: false },
      '/static/avatars': { target: backend, changeOrigin: false },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No inline scripts: the CSP forbids them (the module preload polyfill is inline-free in Vite 5+).
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    manifest: true,
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/__tests__/*.spec.ts'],
    restoreMocks: true,
  },
})
