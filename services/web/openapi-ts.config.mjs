// The web page's API client, generated from the gateway's OpenAPI document (checked in at openapi/faceplatform-v1.json;
// an end-to-end test fails when it differs from what the gateway serves). `npm run generate:api` writes src/api/.
export default {
  input: './openapi/faceplatform-v1.json',
  output: { path: 'src/api' },
  plugins: ['@hey-api/client-axios', '@hey-api/typescript', '@hey-api/sdk'],
};
