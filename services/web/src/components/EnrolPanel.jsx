import { useCallback, useEffect, useState } from 'react';
import { api } from '../lib/api.js';
import { bytes, date, fixed } from '../lib/format.js';
import { problemLine } from '../lib/problem.js';
import ImagePicker from './ImagePicker.jsx';
import ConfirmButton from './ConfirmButton.jsx';

let seq = 0;

/** Enrol faces of one person from several photos at once: one row per file with progress and the API's answer. */
export default function EnrolPanel({ collection, subject, onEnrolled }) {
  const [items, setItems] = useState([]);
  const [largest, setLargest] = useState(false);
  const [faces, setFaces] = useState(null);
  const [facesProblem, setFacesProblem] = useState(null);

  const loadFaces = useCallback(async () => {
    try {
      const r = await api.listFaces(collection.id, subject.id);
      setFaces(r.faces || []);
      setFacesProblem(null);
    } catch (p) {
      setFacesProblem(p);
    }
  }, [collection.id, subject.id]);

  useEffect(() => {
    loadFaces();
  }, [loadFaces]);

  const update = (id, patch) => setItems((prev) => prev.map((it) => (it.id === id ? { ...it, ...patch } : it)));

  const enrol = async (files) => {
    const batch = files.map((file) => ({ id: ++seq, file, state: 'queued', progress: 0, message: '' }));
    setItems((prev) => [...batch, ...prev]);
    let any = false;
    // Two at a time: quick for a handful of photos, gentle on the rate limit.
    const queue = [...batch];
    const worker = async () => {
      while (queue.length) {
        const it = queue.shift();
        update(it.id, { state: 'uploading' });
        try {
          const r = await api.enrolFace(collection.id, subject.id, it.file, {
            largest,
            onProgress: (p) => update(it.id, { progress: p, state: p >= 1 ? 'processing' : 'uploading' }),
          });
          const n = r.faces?.length ?? 0;
          const dup = r.duplicates ? ` (${r.duplicates} already enrolled)` : '';
          update(it.id, { state: 'done', progress: 1, message: `Enrolled ${n} ${n === 1 ? 'face' : 'faces'}${dup}.` });
          any = true;
        } catch (p) {
          update(it.id, { state: 'failed', progress: 1, message: problemLine(p), status: p.status });
        }
      }
    };
    await Promise.all([worker(), worker()]);
    if (any) {
      await loadFaces();
      onEnrolled();
    }
  };

  const removeFace = async (f) => {
    try {
      await api.deleteFace(collection.id, f.id);
    } catch (p) {
      setFacesProblem(p);
    }
    await loadFaces();
    onEnrolled();
  };

  return (
    <div className="enrol stack" data-testid="enrol-panel">
      <h3>Enrol faces of {subject.displayName || subject.externalId}</h3>
      <label className="check">
        <input type="checkbox" checked={largest} onChange={(e) => setLargest(e.target.checked)} /> When a photo has several
        faces, enrol the largest
      </label>
      <ImagePicker label="Choose photos" multiple camera onFiles={enrol} testId="enrol-picker" hint="One face per photo." compact />
      {items.length > 0 && (
        <ul className="uploads" aria-label="Uploads" data-testid="enrol-uploads">
          {items.map((it) => (
            <li key={it.id} className={`upload ${it.state}`} data-testid="enrol-item" data-file={it.file.name} data-state={it.state}>
              <div className="row between wrap">
                <span className="filename">
                  {it.file.name} <span className="muted small">{bytes(it.file.size)}</span>
                </span>
                <span className="small state">
                  {it.state === 'queued' && 'Waiting'}
                  {it.state === 'uploading' && `Uploading ${Math.round(it.progress * 100)}%`}
                  {it.state === 'processing' && 'Finding the face…'}
                  {it.state === 'done' && '✔ Enrolled'}
                  {it.state === 'failed' && '✘ Refused'}
                </span>
              </div>
              <progress max="1" value={it.state === 'processing' ? undefined : it.progress} aria-label={`Progress of ${it.file.name}`} />
              {it.message && (
                <p className={it.state === 'failed' ? 'error-text small' : 'small'} role={it.state === 'failed' ? 'alert' : undefined} data-testid="enrol-message">
                  {it.message}
                </p>
              )}
            </li>
          ))}
        </ul>
      )}
      <div>
        <h4>
          Enrolled faces: <span data-testid="enrolled-count">{faces ? faces.length : subject.faceCount}</span>
        </h4>
        {facesProblem && <p className="error-text small">{problemLine(facesProblem)}</p>}
        {faces && faces.length > 0 && (
          <ul className="list compact">
            {faces.map((f) => (
              <li key={f.id}>
                <span className="grow small">
                  quality {fixed(f.quality?.score ?? f.quality, 2)} · {f.modelId} · {date(f.createdAt)}
                </span>
                <ConfirmButton label="Remove" ariaLabel="Remove this face" question="Remove this face?" confirmLabel="Yes, remove" onConfirm={() => removeFace(f)} />
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}
