import { defineConfig } from 'vitest/config';

// Tests of the generated API client against a running platform (tests/clients/run.sh runs them):
// FACEPLATFORM_URL (the gateway), FACEPLATFORM_API_KEY (a key with read and write), FACEPLATFORM_FACES_DIR (photos).
export default defineConfig({
  test: {
    environment: 'node',
    include: ['tests/**/*.platform.test.ts'],
    testTimeout: 120000,
  },
});
