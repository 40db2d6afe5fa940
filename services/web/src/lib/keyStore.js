// The API key lives in sessionStorage (this tab, until it is closed) unless the user asks to remember it on this
// device, which puts it in localStorage. Signing out removes it from both.
const NAME = 'faceplatform.apiKey';

function safe(fn, fallback = null) {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

export function loadKey() {
  const s = safe(() => window.sessionStorage.getItem(NAME));
  if (s) return { key: s, remember: false };
  const l = safe(() => window.localStorage.getItem(NAME));
  if (l) return { key: l, remember: true };
  return { key: '', remember: false };
}

export function saveKey(key, remember) {
  clearKey();
  safe(() => (remember ? window.localStorage : window.sessionStorage).setItem(NAME, key));
}

export function clearKey() {
  safe(() => window.sessionStorage.removeItem(NAME));
  safe(() => window.localStorage.removeItem(NAME));
}
