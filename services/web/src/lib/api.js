import axios from 'axios';
import { toProblem } from './problem.js';

// One axios client for the public REST API. URLs are relative (/v1/...), so the page works from the gateway's
// origin and, in development, through Vite's proxy. The key travels in X-Api-Key.

let apiKey = '';
export function setApiKey(key) {
  apiKey = key || '';
}

export const http = axios.create({ baseURL: '/', timeout: 120000 });

http.interceptors.request.use((config) => {
  if (apiKey) config.headers['X-Api-Key'] = apiKey;
  return config;
});

http.interceptors.response.use(
  (r) => r,
  (error) => Promise.reject(Object.assign(toProblem(error), { cause: error })),
);

const enc = encodeURIComponent;

function form(fields) {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined || v === null || v === '') continue;
    if (v instanceof Blob) fd.append(k, v, v.name || `${k}.jpg`);
    else fd.append(k, String(v));
  }
  return fd;
}

export const api = {
  /** Checks a key: any authenticated answer (even 403) means the key is known. */
  async checkKey(key) {
    try {
      await http.get('/v1/collections', { params: { pageSize: 1 }, headers: { 'X-Api-Key': key } });
      return { ok: true };
    } catch (p) {
      if (p.status === 403) return { ok: true, warning: p };
      return { ok: false, problem: p };
    }
  },

  async analyze({ image, collection, include, maxFaces, minFaceSize, signal }) {
    const r = await http.post('/v1/analyze', form({ image, collection, include, maxFaces, minFaceSize }), { signal });
    return r.data;
  },

  async verify({ image1, image2, collection, subjectId, threshold, signal }) {
    const r = await http.post('/v1/verify', form({ image1, image2, collection, subjectId, threshold }), { signal });
    return r.data;
  },

  async listCollections({ pageSize = 100, pageToken } = {}) {
    const r = await http.get('/v1/collections', { params: { pageSize, pageToken: pageToken || undefined } });
    return r.data;
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
  async createCollection({ name, description }) {
    return (await http.post('/v1/collections', { name, description })).data;
  },
  async getCollection(id) {
    return (await http.get(`/v1/collections/${enc(id)}`)).data;
  },
  async deleteCollection(id) {
    return (await http.delete(`/v1/collections/${enc(id)}`)).data;
  },

  async listSubjects(collectionId, { pageSize = 50, pageToken, filter } = {}) {
    const r = await http.get(`/v1/collections/${enc(collectionId)}/subjects`, {
      params: { pageSize, pageToken: pageToken || undefined, filter: filter || undefined },
    });
    return r.data;
  },
  async createSubject(collectionId, { externalId, displayName, metadata }) {
    const r = await http.post(`/v1/collections/${enc(collectionId)}/subjects`, { externalId, displayName, metadata });
    return r.data;
  },
  async getSubject(collectionId, subjectId) {
    return (await http.get(`/v1/collections/${enc(collectionId)}/subjects/${enc(subjectId)}`)).data;
  },
  async deleteSubject(collectionId, subjectId) {
    return (await http.delete(`/v1/collections/${enc(collectionId)}/subjects/${enc(subjectId)}`)).data;
  },
  async listFaces(collectionId, subjectId) {
    return (await http.get(`/v1/collections/${enc(collectionId)}/subjects/${enc(subjectId)}/faces`)).data;
  },
  async enrolFace(collectionId, subjectId, image, { largest = false, onProgress, signal } = {}) {
    const r = await http.post(
      `/v1/collections/${enc(collectionId)}/subjects/${enc(subjectId)}/faces`,
      form({ image, face: largest ? 'largest' : undefined }),
      {
        signal,
        onUploadProgress: (e) => {
          if (onProgress && e.total) onProgress(e.loaded / e.total);
        },
      },
    );
    return r.data;
  },
  async deleteFace(collectionId, faceId) {
    return (await http.delete(`/v1/collections/${enc(collectionId)}/faces/${enc(faceId)}`)).data;
  },
};
