import { useEffect, useState } from 'react';
import { api } from '../lib/api.js';
import { fixed } from '../lib/format.js';
import { useObjectUrl } from '../lib/hooks.js';
import ImagePicker from './ImagePicker.jsx';
import ProblemAlert from './ProblemAlert.jsx';
import CollectionSelect from './CollectionSelect.jsx';

function Side({ title, file, onFile, testId }) {
  const src = useObjectUrl(file);
  return (
    <div className="verify-side" data-testid={testId}>
      <h2>{title}</h2>
      <ImagePicker label={`Choose ${title.toLowerCase()}`} onFiles={(f) => onFile(f[0])} compact />
      {src ? (
        <img src={src} alt={`${title}: ${file.name}`} className="photo verify-photo" />
      ) : (
        <div className="placeholder muted">No photo yet</div>
      )}
    </div>
  );
}

export default function VerifyView({ collections }) {
  const [mode, setMode] = useState('photos');
  const [file1, setFile1] = useState(null);
  const [file2, setFile2] = useState(null);
  const [collection, setCollection] = useState('');
  const [subjects, setSubjects] = useState([]);
  const [subjectId, setSubjectId] = useState('');
  const [threshold, setThreshold] = useState('');
  const [result, setResult] = useState(null);
  const [problem, setProblem] = useState(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setSubjects([]);
    setSubjectId('');
    if (mode !== 'subject' || !collection) return;
    let live = true;
    api
      .listSubjects(collection, { pageSize: 200 })
      .then((page) => live && setSubjects(page.subjects || []))
      .catch((p) => live && setProblem(p));
    return () => {
      live = false;
    };
  }, [collection, mode]);

  useEffect(() => setResult(null), [file1, file2, subjectId, mode]);

  const ready = file1 && (mode === 'photos' ? file2 : collection && subjectId);

  const submit = async (e) => {
    e.preventDefault();
    if (!ready) return;
    setBusy(true);
    setProblem(null);
    setResult(null);
    try {
      const t = threshold.trim() === '' ? undefined : threshold.trim();
      const data =
        mode === 'photos'
          ? await api.verify({ image1: file1, image2: file2, threshold: t })
          : await api.verify({ image1: file1, collection, subjectId, threshold: t });
      setResult(data);
    } catch (p) {
      setProblem(p);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="verify" onSubmit={submit}>
      <h1>Verify: same person?</h1>
      <fieldset className="row wrap modes">
        <legend>Compare</legend>
        <label className="check">
          <input type="radio" name="verify-mode" value="photos" checked={mode === 'photos'} onChange={() => setMode('photos')} /> two
          photos
        </label>
        <label className="check">
          <input type="radio" name="verify-mode" value="subject" checked={mode === 'subject'} onChange={() => setMode('subject')} /> a
          photo with an enrolled person
        </label>
      </fieldset>

      <div className="verify-grid">
        <Side title="First photo" file={file1} onFile={setFile1} testId="verify-side-1" />
        {mode === 'photos' ? (
          <Side title="Second photo" file={file2} onFile={setFile2} testId="verify-side-2" />
        ) : (
          <div className="verify-side">
            <h2>Enrolled person</h2>
            <CollectionSelect
              id="verify-collection"
              label="Collection"
              value={collection}
              onChange={setCollection}
              collections={collections}
              noneLabel="Choose a collection"
              required
            />
            <div className="field">
              <label htmlFor="verify-subject">Person</label>
              <select id="verify-subject" value={subjectId} onChange={(e) => setSubjectId(e.target.value)} required disabled={!collection}>
                <option value="">Choose a person</option>
                {subjects.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.displayName || s.externalId} ({s.faceCount} {s.faceCount === 1 ? 'face' : 'faces'})
                  </option>
                ))}
              </select>
            </div>
          </div>
        )}
      </div>

      <div className="row wrap end">
        <div className="field">
          <label htmlFor="verify-threshold">Threshold (optional)</label>
          <input
            id="verify-threshold"
            type="number"
            inputMode="decimal"
            step="0.01"
            min="-1"
            max="1"
            placeholder="server default"
            value={threshold}
            onChange={(e) => setThreshold(e.target.value)}
          />
        </div>
        <button type="submit" disabled={!ready || busy}>
          {busy ? 'Comparing…' : 'Compare'}
        </button>
      </div>

      <div aria-live="polite">
        {result && (
          <div className={`verdict ${result.match ? 'same' : 'different'}`} data-testid="verify-result" data-match={String(result.match)}>
            <p className="verdict-title">{result.match ? '✔ Same person' : '✘ Different people'}</p>
            <p>
              Similarity <strong data-testid="verify-similarity">{fixed(result.similarity, 3)}</strong>{' '}
              {result.match ? '≥' : '<'} threshold <strong data-testid="verify-threshold">{fixed(result.threshold, 3)}</strong>
              {result.modelId && <span className="muted"> · model {result.modelId}</span>}
            </p>
          </div>
        )}
      </div>
      <ProblemAlert problem={problem} onDismiss={() => setProblem(null)} testId="verify-problem" />
    </form>
  );
}
