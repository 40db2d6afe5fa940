import axios from 'axios';
import {
  deleteV1CollectionsByCollectionId,
  deleteV1CollectionsByCollectionIdFacesByFaceId,
  deleteV1CollectionsByCollectionIdSubjectsBySubjectId,
  getV1Collections,
  getV1CollectionsByCollectionId,
  getV1CollectionsByCollectionIdSubjects,
  getV1CollectionsByCollectionIdSubjectsBySubjectId,
  getV1CollectionsByCollectionIdSubjectsBySubjectIdFaces,
  postV1Analyze,
  postV1Collections,
  postV1CollectionsByCollectionIdSubjects,
  postV1CollectionsByCollectionIdSubjectsBySubjectIdFaces,
  postV1Verify,
} from '../api/index.ts';
import { client } from '../api/client.gen.ts';
import { toProblem } from './problem.js';

// The public REST API through the client generated from the gateway's OpenAPI document (src/api, `npm run
// generate:api`). It sends with this axios instance: URLs are relative (/v1/...), so the page works from the gateway's
// origin and, in development, through Vite's proxy; the key travels in X-Api-Key; every refusal becomes a problem.

let apiKey = '';
export function setApiKey(key) {
  apiKey = key || '';
}

// No baseURL: the generated client puts its own (none: relative URLs) before each path.
export const http = axios.create({ timeout: 120000 });

http.interceptors.request.use((config) => {
  if (apiKey && !config.headers['X-Api-Key']) config.headers['X-Api-Key'] = apiKey;
  return config;
});

http.interceptors.response.use(
  (r) => r,
  (error) => Promise.reject(Object.assign(toProblem(error), { cause: error })),
);

client.setConfig({ axios: http, throwOnError: true });

// Photos go as multipart/form-data (the document also offers JSON with base64, a third larger): the generated
// functions default to JSON, so these options replace the body serializer and content type.
function photoForm(fields) {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined || v === null || v === '') continue;
    if (v instanceof Blob) fd.append(k, v, v.name || `${k}.jpg`);
    else fd.append(k, String(v));
  }
  return { body: fd, bodySerializer: null, headers: { 'Content-Type': 'multipart/form-data' } };
}

const data = async (call) => (await call).data;

export const api = {
  /** Checks a key: any authenticated answer (even 403) means the key is known. */
  async checkKey(key) {
    try {
      await getV1Collections({ query: { pageSize: 1 }, headers: { 'X-Api-Key': key } });
      return { ok: true };
    } catch (p) {
      if (p.status === 403) return { ok: true, warning: p };
      return { ok: false, problem: p };
    }
  },

  analyze({ image, collection, include, maxFaces, minFaceSize, signal }) {
    return data(postV1Analyze({ ...photoForm({ image, collection, include, maxFaces, minFaceSize }), signal }));
  },

  verify({ image1, image2, collection, subjectId, threshold, signal }) {
    return data(postV1Verify({ ...photoForm({ image1, image2, collection, subjectId, threshold }), signal }));
  },

  listCollections({ pageSize = 100, pageToken } = {}) {
    return data(getV1Collections({ query: { pageSize, pageToken: pageToken || undefined } }));
  },
  async allCollections() {
    const out = [];
    let token;
    for (let i = 0; i < 50; i++) {
      const page = await api.listCollections({ pageSize: 100, pageToken: token });
      out.push(...(page.collections || []));
      token = page.nextPageToken;
      if (!token) break;
    }
    return out;
  },
  createCollection({ name, description }) {
    return data(postV1Collections({ body: { name, description } }));
  },
  getCollection(id) {
    return data(getV1CollectionsByCollectionId({ path: { collectionId: id } }));
  },
  deleteCollection(id) {
    return data(deleteV1CollectionsByCollectionId({ path: { collectionId: id } }));
  },

  listSubjects(collectionId, { pageSize = 50, pageToken, filter } = {}) {
    return data(getV1CollectionsByCollectionIdSubjects({
      path: { collectionId },
      query: { pageSize, pageToken: pageToken || undefined, filter: filter || undefined },
    }));
  },
  createSubject(collectionId, { externalId, displayName, metadata }) {
    return data(postV1CollectionsByCollectionIdSubjects({ path: { collectionId }, body: { externalId, displayName, metadata } }));
  },
  getSubject(collectionId, subjectId) {
    return data(getV1CollectionsByCollectionIdSubjectsBySubjectId({ path: { collectionId, subjectId } }));
  },
  deleteSubject(collectionId, subjectId) {
    return data(deleteV1CollectionsByCollectionIdSubjectsBySubjectId({ path: { collectionId, subjectId } }));
  },
  listFaces(collectionId, subjectId) {
    return data(getV1CollectionsByCollectionIdSubjectsBySubjectIdFaces({ path: { collectionId, subjectId } }));
  },
  enrolFace(collectionId, subjectId, image, { largest = false, onProgress, signal } = {}) {
    return data(postV1CollectionsByCollectionIdSubjectsBySubjectIdFaces({
      path: { collectionId, subjectId },
      ...photoForm({ image, face: largest ? 'largest' : undefined }),
      signal,
      onUploadProgress: (e) => {
        if (onProgress && e.total) onProgress(e.loaded / e.total);
      },
    }));
  },
  deleteFace(collectionId, faceId) {
    return data(deleteV1CollectionsByCollectionIdFacesByFaceId({ path: { collectionId, faceId } }));
  },
};
