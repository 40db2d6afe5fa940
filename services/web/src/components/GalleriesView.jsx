import { useState } from 'react';
import { api } from '../lib/api.js';
import { date } from '../lib/format.js';
import ProblemAlert from './ProblemAlert.jsx';
import ConfirmButton from './ConfirmButton.jsx';
import SubjectsPanel from './SubjectsPanel.jsx';

const NAME_RE = /^[A-Za-z0-9._-]{1,100}$/;

function CreateCollectionForm({ onCreated }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState(null);
  const valid = NAME_RE.test(name);

  const submit = async (e) => {
    e.preventDefault();
    if (!valid) return;
    setBusy(true);
    setProblem(null);
    try {
      const c = await api.createCollection({ name, description });
      setName('');
      setDescription('');
      onCreated(c);
    } catch (p) {
      setProblem(p);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card stack" onSubmit={submit} aria-labelledby="new-collection-title">
      <h2 id="new-collection-title">New collection</h2>
      <div className="field">
        <label htmlFor="collection-name">Name</label>
        <input
          id="collection-name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
          maxLength={100}
          pattern="[A-Za-z0-9._\-]{1,100}"
          aria-describedby="collection-name-help"
          aria-invalid={name !== '' && !valid}
          autoComplete="off"
        />
        <span id="collection-name-help" className="muted small">
          1–100 letters, digits, “.”, “_” or “-”.
        </span>
      </div>
      <div className="field">
        <label htmlFor="collection-description">Description (optional)</label>
        <input id="collection-description" value={description} onChange={(e) => setDescription(e.target.value)} maxLength={1000} />
      </div>
      <div>
        <button type="submit" disabled={busy || !valid}>
          {busy ? 'Creating…' : 'Create collection'}
        </button>
      </div>
      <ProblemAlert problem={problem} onDismiss={() => setProblem(null)} testId="collection-problem" />
    </form>
  );
}

export default function GalleriesView({ collections, collectionsProblem, onReloadCollections }) {
  const [selectedId, setSelectedId] = useState(null);
  const [problem, setProblem] = useState(null);
  const [notice, setNotice] = useState('');
  const selected = collections.find((c) => c.id === selectedId) || null;

  const remove = async (c) => {
    setProblem(null);
    try {
      const r = await api.deleteCollection(c.id);
      const ds = r?.deletedSubjects ?? 0;
      setNotice(`Deleted collection ${c.name} (${ds} ${ds === 1 ? 'person' : 'people'}, ${r?.deletedFaces ?? 0} faces).`);
      if (selectedId === c.id) setSelectedId(null);
    } catch (p) {
      setProblem(p);
    }
    await onReloadCollections();
  };

  return (
    <div className="galleries">
      <h1>Galleries</h1>
      <p className="muted">Collections of known people. Enrol faces from photos; analyse and search identify against them.</p>
      <div className="galleries-grid">
        <div className="stack">
          <CreateCollectionForm
            onCreated={async (c) => {
              setNotice(`Created collection ${c.name}.`);
              await onReloadCollections();
              setSelectedId(c.id);
            }}
          />
          <div className="card">
            <div className="row between">
              <h2>Collections</h2>
              <button type="button" className="secondary" onClick={onReloadCollections}>
                Refresh
              </button>
            </div>
            <p className="muted small" aria-live="polite" data-testid="galleries-notice">
              {notice}
            </p>
            <ProblemAlert problem={problem || collectionsProblem} onDismiss={problem ? () => setProblem(null) : undefined} testId="galleries-problem" />
            {collections.length === 0 ? (
              <p className="muted">No collections yet.</p>
            ) : (
              <ul className="list" data-testid="collection-list">
                {collections.map((c) => (
                  <li key={c.id} className={c.id === selectedId ? 'selected' : ''} data-testid="collection-item" data-name={c.name}>
                    <div className="grow">
                      <button
                        type="button"
                        className="link strong"
                        onClick={() => setSelectedId(c.id)}
                        aria-current={c.id === selectedId ? 'true' : undefined}
                      >
                        {c.name}
                      </button>
                      {c.description && <div className="muted small">{c.description}</div>}
                      <div className="muted small">
                        <span data-testid="collection-subjects">{c.subjectCount}</span> {c.subjectCount === 1 ? 'person' : 'people'} ·{' '}
                        <span data-testid="collection-faces">{c.faceCount}</span> faces · {c.modelId} ({c.dimension}-d) · {date(c.createdAt)}
                      </div>
                    </div>
                    <ConfirmButton
                      label="Delete"
                      ariaLabel={`Delete collection ${c.name}`}
                      question={`Delete ${c.name} with all its people and faces?`}
                      onConfirm={() => remove(c)}
                    />
                  </li>
                ))}
              </ul>
            )}
          </div>
        </div>
        <div>
          {selected ? (
            <SubjectsPanel key={selected.id} collection={selected} onChanged={onReloadCollections} />
          ) : (
            <div className="card muted">Choose or create a collection to see its people.</div>
          )}
        </div>
      </div>
    </div>
  );
}
