import { readFile } from 'node:fs/promises';
import path from 'node:path';
import axios from 'axios';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../src/api/client';
import {
  deleteV1CollectionsByCollectionId,
  getV1Collections,
  postV1Collections,
  postV1CollectionsByCollectionIdSearch,
  postV1CollectionsByCollectionIdSubjects,
  postV1CollectionsByCollectionIdSubjectsBySubjectIdFaces,
  postV1Verify,
} from '../src/api/sdk.gen';

// The client generated from the checked-in OpenAPI document, called against the running platform the way the page calls it.
const url = process.env.FACEPLATFORM_URL ?? 'http://localhost:8080';
const key = process.env.FACEPLATFORM_API_KEY ?? '';
const faces = process.env.FACEPLATFORM_FACES_DIR ?? path.resolve(__dirname, '../../../../shared/data/faces');
const knn = (p: string) => path.join(faces, 'face_recognition', 'examples', 'knn_examples', p);

const client = createClient({ baseURL: url, headers: { 'X-Api-Key': key }, throwOnError: true });

async function photo(file: string): Promise<Blob> {
  return new Blob([await readFile(file)]);
}

function form(fields: Record<string, Blob | string>) {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (value instanceof Blob) body.append(name, value, `${name}.jpg`);
    else body.append(name, value);
  }
  return { body: body as never, bodySerializer: null, headers: { 'Content-Type': 'multipart/form-data' } };
}

describe('generated TypeScript client against the platform', () => {
  beforeAll(() => {
    expect(key, 'FACEPLATFORM_API_KEY must name a key with read and write scopes').not.toBe('');
  });

  it('creates a collection, enrols, searches and verifies', async () => {
    const created = await postV1Collections({ client, body: { name: `ts-client-${Date.now()}` } });
    const collectionId = created.data.id;
    try {
      const subject = await postV1CollectionsByCollectionIdSubjects({
        client, path: { collectionId }, body: { externalId: 'obama', displayName: 'Barack Obama' },
      });
      const enrolled = await postV1CollectionsByCollectionIdSubjectsBySubjectIdFaces({
        client, path: { collectionId, subjectId: subject.data.id }, ...form({ image: await photo(knn('train/obama/obama.jpg')) }),
      });
      const listed = await getV1Collections({ client, query: { pageSize: 500 } });
      const found = await postV1CollectionsByCollectionIdSearch({
        client, path: { collectionId }, ...form({ image: await photo(knn('test/obama1.jpg')), topK: '1' }),
      });
      const verified = await postV1Verify({
        client, ...form({ image1: await photo(knn('train/obama/obama.jpg')), image2: await photo(knn('train/obama/obama2.jpg')) }),
      });

      expect(enrolled.data.faces).toHaveLength(1);
      expect(listed.data.collections.map((c) => c.id)).toContain(collectionId);
      expect(found.data.faces).toHaveLength(1);
      expect(found.data.faces[0].matches[0].externalId).toBe('obama');
      expect(verified.data.match).toBe(true);
    } finally {
      await deleteV1CollectionsByCollectionId({ client, path: { collectionId } });
    }
  });

  it('rejects with the problem details of a refusal', async () => {
    const refused = await getV1Collections({ client: createClient({ baseURL: url, headers: { 'X-Api-Key': 'fp_unknown' } }) });

    expect(axios.isAxiosError(refused)).toBe(true);
    expect((refused as { response?: { status: number } }).response?.status).toBe(401);
    expect((refused as { error?: { title?: string } }).error?.title).toBeTruthy();
  });
});
