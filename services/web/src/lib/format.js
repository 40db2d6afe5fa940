export function percent(p, digits = 0) {
  if (p === null || p === undefined || Number.isNaN(Number(p))) return '—';
  return `${(Number(p) * 100).toFixed(digits)}%`;
}

export function fixed(v, digits = 2) {
  if (v === null || v === undefined || Number.isNaN(Number(v))) return '—';
  return Number(v).toFixed(digits);
}

export function age(v) {
  if (v === null || v === undefined) return '—';
  return `${Math.round(Number(v))}`;
}

/** The top label of {label, scores}. */
export function topEmotion(emotion) {
  if (!emotion) return null;
  let score = emotion.scores?.[emotion.label];
  if (score === undefined && emotion.scores) {
    score = Math.max(...Object.values(emotion.scores));
  }
  return { label: emotion.label, score: score ?? null };
}

export function bestMatch(face) {
  if (!face?.matches?.length) return null;
  return [...face.matches].sort((a, b) => b.similarity - a.similarity)[0];
}

export function personName(m) {
  if (!m) return '';
  return m.displayName || m.externalId || m.subjectId;
}

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function date(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}
