// Turns anything an API call can throw into one shape the page shows: RFC 9457 problem details when the API sent
// them, otherwise a short description of what happened (network down, a non-JSON error page, ...).

const HINTS = {
  401: 'The API key is missing, unknown or revoked. Enter a valid key.',
  403: 'This API key is not allowed to do that (missing scope).',
  404: 'Not found (it may have been deleted).',
  413: 'The photo is too large for the API.',
  415: 'The file is not a supported image, or it is corrupt.',
  422: 'The photo could not be used (no face, or several faces).',
  429: 'Too many requests: the rate limit was reached.',
  503: 'A service of the platform is unavailable. Try again shortly.',
  504: 'The platform took too long to answer.',
};

/** Seconds from a Retry-After header (delta-seconds or an HTTP date), or null. */
export function parseRetryAfter(value, now = Date.now()) {
  if (value === undefined || value === null || value === '') return null;
  const text = String(value).trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

function header(headers, name) {
  if (!headers) return undefined;
  if (typeof headers.get === 'function') {
    const v = headers.get(name);
    if (v !== undefined && v !== null) return v;
  }
  return headers[name] ?? headers[name.toLowerCase()];
}

/**
 * Normalises an error into { status, title, detail, retryAfter, problem }.
 * `problem` is true when the body was problem details from the API.
 */
export function toProblem(error) {
  if (error && error.__problem) return error;
  const response = error?.response;
  if (!response) {
    if (error?.code === 'ERR_CANCELED') {
      return { __problem: true, status: 0, title: 'Cancelled', detail: 'The request was cancelled.', retryAfter: null, problem: false };
    }
    return {
      __problem: true,
      status: 0,
      title: 'The API could not be reached',
      detail: error?.message ? `Network error: ${error.message}` : 'Network error.',
      retryAfter: null,
      problem: false,
    };
  }
  const status = response.status;
  let data = response.data;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      /* not JSON */
    }
  }
  const retryAfter = parseRetryAfter(header(response.headers, 'retry-after'));
  const isProblem = data && typeof data === 'object' && (data.title || data.detail);
  if (isProblem) {
    let detail = data.detail || '';
    // ASP.NET validation problems carry an "errors" map instead of a detail.
    if (!detail && data.errors && typeof data.errors === 'object') {
      detail = Object.entries(data.errors)
        .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(' ') : v}`)
        .join('; ');
    }
    return {
      __problem: true,
      status: data.status || status,
      title: data.title || response.statusText || `HTTP ${status}`,
      detail: detail || HINTS[status] || '',
      retryAfter,
      problem: true,
    };
  }
  return {
    __problem: true,
    status,
    title: response.statusText || `HTTP ${status}`,
    detail: HINTS[status] || 'The API refused the request.',
    retryAfter,
    problem: false,
  };
}

/** One line for lists (per-file enrolment status etc.). */
export function problemLine(p) {
  const prob = toProblem(p);
  const head = prob.status ? `${prob.status} ${prob.title}` : prob.title;
  const tail = prob.detail ? `: ${prob.detail}` : '';
  const retry = prob.retryAfter != null ? ` (retry in ${prob.retryAfter} s)` : '';
  return `${head}${tail}${retry}`;
}

export { HINTS as statusHints };
