import { useState } from 'react';
import { api } from '../lib/api.js';
import ProblemAlert from './ProblemAlert.jsx';

export default function KeyForm({ onSignIn }) {
  const [key, setKey] = useState('');
  const [remember, setRemember] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState(null);
  const [show, setShow] = useState(false);

  const submit = async (e) => {
    e.preventDefault();
    const k = key.trim();
    if (!k) return;
    setBusy(true);
    setProblem(null);
    const r = await api.checkKey(k);
    setBusy(false);
    if (r.ok) onSignIn(k, remember);
    else setProblem(r.problem);
  };

  return (
    <div className="card narrow">
      <h1>Sign in with an API key</h1>
      <p className="muted">
        The page calls FacePlatform's REST API with your key (header <code>X-Api-Key</code>). It is kept for this browser
        session only unless you tick “remember”. Operators create keys with <code>POST /v1/admin/tenants/&#123;id&#125;/keys</code>;
        the platform's first admin key is in <code>.data/admin-api-key</code>.
      </p>
      <form onSubmit={submit} className="stack" aria-describedby="key-help">
        <label htmlFor="api-key">API key</label>
        <div className="row">
          <input
            id="api-key"
            name="apiKey"
            type={show ? 'text' : 'password'}
            autoComplete="off"
            spellCheck="false"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            placeholder="fp_…"
            required
            className="grow"
          />
          <button type="button" className="secondary" onClick={() => setShow((s) => !s)} aria-pressed={show}>
            {show ? 'Hide' : 'Show'}
          </button>
        </div>
        <label className="check">
          <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} /> Remember on this
          device (stored in this browser's local storage)
        </label>
        <p id="key-help" className="muted small">The key is checked against the API before it is used.</p>
        <div>
          <button type="submit" disabled={busy || !key.trim()}>
            {busy ? 'Checking…' : 'Use this key'}
          </button>
        </div>
        <ProblemAlert problem={problem} testId="key-problem" />
      </form>
    </div>
  );
}
