import { useCallback, useEffect, useState } from 'react';
import { api } from '../lib/api.js';
import { useDebounced } from '../lib/hooks.js';
import ProblemAlert from './ProblemAlert.jsx';
import ConfirmButton from './ConfirmButton.jsx';
import EnrolPanel from './EnrolPanel.jsx';

function CreateSubjectForm({ collection, onCreated }) {
  const [displayName, setDisplayName] = useState('');
  const [externalId, setExternalId] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState(null);

  const submit = async (e) => {
    e.preventDefault();
    if (!displayName.trim() && !externalId.trim()) return;
    setBusy(true);
    setProblem(null);
    try {
      const s = await api.createSubject(collection.id, {
        displayName: displayName.trim(),
        externalId: externalId.trim() || undefined,
        metadata: {},
      });
      setDisplayName('');
      setExternalId('');
      onCreated(s);
    } catch (p) {
      setProblem(p);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="stack subform" onSubmit={submit} aria-labelledby="new-subject-title">
      <h3 id="new-subject-title">Add a person</h3>
      <div className="row wrap end">
        <div className="field grow">
          <label htmlFor="subject-name">Display name</label>
          <input id="subject-name" value={displayName} onChange={(e) => setDisplayName(e.target.value)} autoComplete="off" />
        </div>
        <div className="field grow">
          <label htmlFor="subject-external">External id (optional)</label>
          <input id="subject-external" value={externalId} onChange={(e) => setExternalId(e.target.value)} autoComplete="off" />
        </div>
        <button type="submit" disabled={busy || (!displayName.trim() && !externalId.trim())}>
          {busy ? 'Adding…' : 'Add person'}
        </button>
      </div>
      <ProblemAlert problem={problem} onDismiss={() => setProblem(null)} testId="subject-problem" />
    </form>
  );
}

export default function SubjectsPanel({ collection, onChanged }) {
  const [filter, setFilter] = useState('');
  const debounced = useDebounced(filter, 300);
  const [subjects, setSubjects] = useState([]);
  const [nextToken, setNextToken] = useState(null);
  const [loading, setLoading] = useState(false);
  const [problem, setProblem] = useState(null);
  const [selectedId, setSelectedId] = useState(null);
  const [notice, setNotice] = useState('');

  const load = useCallback(
    async (append = false, token = null) => {
      setLoading(true);
      setProblem(null);
      try {
        const page = await api.listSubjects(collection.id, { pageSize: 50, pageToken: token, filter: debounced.trim() || undefined });
        setSubjects((prev) => (append ? [...prev, ...(page.subjects || [])] : page.subjects || []));
        setNextToken(page.nextPageToken || null);
      } catch (p) {
        setProblem(p);
      } finally {
        setLoading(false);
      }
    },
    [collection.id, debounced],
  );

  useEffect(() => {
    load(false);
  }, [load]);

  const selected = subjects.find((s) => s.id === selectedId) || null;

  const refreshSubject = async (id) => {
    try {
      const s = await api.getSubject(collection.id, id);
      setSubjects((prev) => prev.map((x) => (x.id === id ? s : x)));
    } catch {
      /* the list refresh below shows problems */
    }
    onChanged();
  };

  const remove = async (s) => {
    try {
      const r = await api.deleteSubject(collection.id, s.id);
      setNotice(`Deleted ${s.displayName || s.externalId}${r?.deletedFaces !== undefined ? ` and ${r.deletedFaces} faces` : ''}.`);
      if (selectedId === s.id) setSelectedId(null);
      await load(false);
      onChanged();
    } catch (p) {
      setProblem(p);
    }
  };

  return (
    <div className="card stack" data-testid="subjects-panel">
      <h2>
        People in <span data-testid="subjects-collection">{collection.name}</span>
      </h2>
      <CreateSubjectForm
        collection={collection}
        onCreated={async (s) => {
          setNotice(`Added ${s.displayName || s.externalId}.`);
          await load(false);
          setSelectedId(s.id);
          onChanged();
        }}
      />
      <div className="field">
        <label htmlFor="subject-filter">Search people</label>
        <input
          id="subject-filter"
          type="search"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          placeholder="name or external id"
          autoComplete="off"
        />
      </div>
      <p className="muted small" aria-live="polite" data-testid="subjects-notice">
        {loading ? 'Loading…' : notice}
      </p>
      <ProblemAlert problem={problem} onDismiss={() => setProblem(null)} testId="subjects-problem" />
      {!loading && subjects.length === 0 && !problem && <p className="muted">{debounced ? 'Nobody matches.' : 'Nobody here yet.'}</p>}
      <ul className="list" data-testid="subject-list">
        {subjects.map((s) => (
          <li key={s.id} className={s.id === selectedId ? 'selected' : ''} data-testid="subject-item" data-name={s.displayName}>
            <div className="grow">
              <button
                type="button"
                className="link strong"
                onClick={() => setSelectedId(s.id === selectedId ? null : s.id)}
                aria-expanded={s.id === selectedId}
              >
                {s.displayName || s.externalId || s.id}
              </button>
              <div className="muted small">
                {s.externalId && <>id {s.externalId} · </>}
                <span data-testid="subject-face-count">{s.faceCount}</span> {s.faceCount === 1 ? 'face' : 'faces'} enrolled
              </div>
            </div>
            <button type="button" className="secondary" onClick={() => setSelectedId(s.id)}>
              Enrol faces<span className="visually-hidden"> for {s.displayName || s.externalId}</span>
            </button>
            <ConfirmButton
              label="Delete"
              ariaLabel={`Delete ${s.displayName || s.externalId}`}
              question={`Delete ${s.displayName || s.externalId} and their faces?`}
              onConfirm={() => remove(s)}
            />
            {s.id === selectedId && selected && (
              <div className="full">
                <EnrolPanel collection={collection} subject={selected} onEnrolled={() => refreshSubject(s.id)} />
              </div>
            )}
          </li>
        ))}
      </ul>
      {nextToken && (
        <button type="button" className="secondary" onClick={() => load(true, nextToken)} disabled={loading}>
          Load more
        </button>
      )}
    </div>
  );
}
