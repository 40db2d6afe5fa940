import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run build` writes the page to services/web/dist (git-ignored). The gateway serves it at http://localhost:8080/
// (services/FacePlatform.Gateway/Web/WebUi.cs: Web:Root, else wwwroot beside the gateway, which the container image
// fills from this dist, else services/web/dist of the checkout). The page calls the API with relative URLs (/v1/...);
// during development (`npm run dev`, http://localhost:5173) Vite proxies them to the gateway.
const gateway = process.env.FACEPLATFORM_URL || 'http://localhost:8080';

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
  },
  server: {
    port: 5173,
    proxy: {
      '/v1': { target: gateway, changeOrigin: true },
      '/healthz': { target: gateway, changeOrigin: true },
      '/readyz': { target: gateway, changeOrigin: true },
    },
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.js'],
  },
});
