import { useEffect, useRef, useState } from 'react';
import { api } from '../lib/api.js';
import { bytes } from '../lib/format.js';
import { useObjectUrl } from '../lib/hooks.js';
import ImagePicker from './ImagePicker.jsx';
import FaceOverlay from './FaceOverlay.jsx';
import FaceTable from './FaceTable.jsx';
import ProblemAlert from './ProblemAlert.jsx';
import CollectionSelect from './CollectionSelect.jsx';

export default function AnalyzeView({ collections, collectionsProblem, onReloadCollections }) {
  const [file, setFile] = useState(null);
  const [collection, setCollection] = useState('');
  const [landmarks, setLandmarks] = useState(false);
  const [result, setResult] = useState(null);
  const [resultFor, setResultFor] = useState(null);
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);
  const [active, setActive] = useState(null);
  const abortRef = useRef(null);
  const src = useObjectUrl(file);

  useEffect(() => {
    if (collection && !collections.some((c) => c.id === collection)) setCollection('');
  }, [collections, collection]);

  const run = async (f = file, opts = { collection, landmarks }) => {
    if (!f) return;
    abortRef.current?.abort();
    const ctrl = new AbortController();
    abortRef.current = ctrl;
    setBusy(true);
    setProblem(null);
    setResult(null);
    setActive(null);
    try {
      const data = await api.analyze({
        image: f,
        collection: opts.collection || undefined,
        include: opts.landmarks ? 'landmarks' : undefined,
        signal: ctrl.signal,
      });
      setResult(data);
      setResultFor({ collection: opts.collection, landmarks: opts.landmarks });
    } catch (p) {
      if (p.status !== 0 || p.title !== 'Cancelled') setProblem(p);
    } finally {
      if (abortRef.current === ctrl) setBusy(false);
    }
  };

  const pick = (files) => {
    const f = files[0];
    setFile(f);
    run(f);
  };

  const stale = result && resultFor && (resultFor.collection !== collection || resultFor.landmarks !== landmarks);
  const withIdentity = !!resultFor?.collection;

  return (
    <div className="analyze">
      <h1>Analyse a photo</h1>
      <p className="muted">Every face gets a box, with age, gender, emotion and liveness; choose a collection to see who it is.</p>
      <div className="options row wrap">
        <CollectionSelect
          id="analyze-collection"
          label="Identify against collection"
          value={collection}
          onChange={setCollection}
          collections={collections}
        />
        <label className="check">
          <input type="checkbox" checked={landmarks} onChange={(e) => setLandmarks(e.target.checked)} /> Show landmarks
        </label>
        <button type="button" className="secondary" onClick={onReloadCollections}>
          Refresh collections
        </button>
      </div>
      {collectionsProblem && <ProblemAlert problem={collectionsProblem} testId="collections-problem" />}

      <ImagePicker label="Choose a photo" onFiles={pick} testId="analyze-picker" hint="JPEG, PNG, WebP, BMP or GIF, up to 20 MB." />

      {file && (
        <p className="muted small" data-testid="analyze-file">
          {file.name} · {bytes(file.size)}
          {stale && (
            <>
              {' '}
              ·{' '}
              <button type="button" className="link" onClick={() => run()}>
                Analyse again with the new options
              </button>
            </>
          )}
        </p>
      )}

      <div aria-live="polite" className="status-line" data-testid="analyze-status">
        {busy ? 'Analysing…' : result ? `Found ${result.faces.length} ${result.faces.length === 1 ? 'face' : 'faces'}.` : ''}
      </div>
      <ProblemAlert problem={problem} onDismiss={() => setProblem(null)} testId="analyze-problem" />
      {result?.warnings?.length > 0 && (
        <ul className="alert warn" data-testid="analyze-warnings">
          {result.warnings.map((w, i) => (
            <li key={i}>{w}</li>
          ))}
        </ul>
      )}

      {src && (
        <div className="analyze-result">
          <FaceOverlay
            src={src}
            alt={file ? `Uploaded photo ${file.name}` : 'Uploaded photo'}
            result={result}
            active={active}
            onActive={setActive}
            withIdentity={withIdentity}
            showLandmarks={resultFor?.landmarks}
          />
          <FaceTable result={result} active={active} onActive={setActive} withIdentity={withIdentity} />
        </div>
      )}
    </div>
  );
}
