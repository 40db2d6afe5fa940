import { useCallback, useEffect, useState } from 'react';
import { api, setApiKey } from './lib/api.js';
import { clearKey, loadKey, saveKey } from './lib/keyStore.js';
import KeyForm from './components/KeyForm.jsx';
import AnalyzeView from './components/AnalyzeView.jsx';
import VerifyView from './components/VerifyView.jsx';
import GalleriesView from './components/GalleriesView.jsx';

const TABS = [
  { id: 'analyze', label: 'Analyse' },
  { id: 'verify', label: 'Verify' },
  { id: 'galleries', label: 'Galleries' },
];

function tabFromHash() {
  const h = window.location.hash.replace(/^#\/?/, '');
  return TABS.some((t) => t.id === h) ? h : 'analyze';
}

export default function App() {
  const [{ key, remember }, setKeyState] = useState(() => {
    const k = loadKey();
    setApiKey(k.key);
    return k;
  });
  const [tab, setTab] = useState(tabFromHash);
  const [collections, setCollections] = useState([]);
  const [collectionsProblem, setCollectionsProblem] = useState(null);

  useEffect(() => {
    const onHash = () => setTab(tabFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const reloadCollections = useCallback(async () => {
    if (!key) return [];
    try {
      const list = await api.allCollections();
      setCollections(list);
      setCollectionsProblem(null);
      return list;
    } catch (p) {
      setCollectionsProblem(p);
      return [];
    }
  }, [key]);

  useEffect(() => {
    reloadCollections();
  }, [reloadCollections]);

  const signIn = (newKey, rememberIt) => {
    saveKey(newKey, rememberIt);
    setApiKey(newKey);
    setKeyState({ key: newKey, remember: rememberIt });
  };

  const signOut = () => {
    clearKey();
    setApiKey('');
    setCollections([]);
    setKeyState({ key: '', remember: false });
  };

  const choose = (id) => {
    window.location.hash = `#${id}`;
    setTab(id);
  };

  const onTabKey = (e, index) => {
    let next = null;
    if (e.key === 'ArrowRight') next = (index + 1) % TABS.length;
    if (e.key === 'ArrowLeft') next = (index + TABS.length - 1) % TABS.length;
    if (e.key === 'Home') next = 0;
    if (e.key === 'End') next = TABS.length - 1;
    if (next !== null) {
      e.preventDefault();
      choose(TABS[next].id);
      document.getElementById(`tab-${TABS[next].id}`)?.focus();
    }
  };

  return (
    <div className="app">
      <a className="skip-link" href="#main">Skip to content</a>
      <header className="topbar">
        <div className="brand">
          <img src="/favicon.svg" alt="" width="28" height="28" />
          <span>FacePlatform</span>
        </div>
        {key && (
          <nav aria-label="Sections">
            <div role="tablist" aria-label="Sections" className="tabs">
              {TABS.map((t, i) => (
                <button
                  key={t.id}
                  id={`tab-${t.id}`}
                  role="tab"
                  type="button"
                  aria-selected={tab === t.id}
                  aria-controls={`panel-${t.id}`}
                  tabIndex={tab === t.id ? 0 : -1}
                  className={tab === t.id ? 'tab active' : 'tab'}
                  onClick={() => choose(t.id)}
                  onKeyDown={(e) => onTabKey(e, i)}
                >
                  {t.label}
                </button>
              ))}
            </div>
          </nav>
        )}
        {key && (
          <div className="keybox">
            <span className="muted small" title={remember ? 'Remembered on this device' : 'Kept for this browser session only'}>
              Key <code>{key.slice(0, 6)}…</code> {remember ? '(remembered)' : '(this session)'}
            </span>
            <button type="button" className="secondary" onClick={signOut}>
              Change key
            </button>
          </div>
        )}
      </header>

      <main id="main" tabIndex={-1}>
        {!key ? (
          <KeyForm onSignIn={signIn} />
        ) : (
          <>
            {TABS.map((t) => (
              <section
                key={t.id}
                id={`panel-${t.id}`}
                role="tabpanel"
                aria-labelledby={`tab-${t.id}`}
                hidden={tab !== t.id}
              >
                {t.id === 'analyze' && (
                  <AnalyzeView collections={collections} collectionsProblem={collectionsProblem} onReloadCollections={reloadCollections} />
                )}
                {t.id === 'verify' && <VerifyView collections={collections} />}
                {t.id === 'galleries' && (
                  <GalleriesView collections={collections} collectionsProblem={collectionsProblem} onReloadCollections={reloadCollections} />
                )}
              </section>
            ))}
          </>
        )}
      </main>
      <footer className="footer muted small">
        REST API reference: <a href="/docs">/docs</a> · OpenAPI: <a href="/openapi/v1.json">/openapi/v1.json</a>
      </footer>
    </div>
  );
}
