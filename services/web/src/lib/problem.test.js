import { describe, expect, it } from 'vitest';
import { parseRetryAfter, problemLine, toProblem } from './problem.js';

const res = (status, data, headers = {}) => ({ response: { status, data, headers, statusText: '' } });

describe('toProblem', () => {
  it('keeps the title and detail of RFC 9457 problem details', () => {
    const p = toProblem(res(415, { title: 'Unsupported image', status: 415, detail: 'the file is not an image' }));
    expect(p).toMatchObject({ status: 415, title: 'Unsupported image', detail: 'the file is not an image', problem: true });
  });

  it('parses a JSON body that arrived as text', () => {
    const p = toProblem(res(422, JSON.stringify({ title: 'No face', detail: 'no face was found' })));
    expect(p.title).toBe('No face');
    expect(p.detail).toBe('no face was found');
  });

  it('reads Retry-After of a 429', () => {
    const p = toProblem(res(429, { title: 'Too many requests', status: 429 }, { 'retry-after': '7' }));
    expect(p.retryAfter).toBe(7);
    expect(problemLine(p)).toContain('retry in 7 s');
  });

  it('explains a refusal without a problem body', () => {
    const p = toProblem(res(503, '<html>bad gateway</html>'));
    expect(p.status).toBe(503);
    expect(p.problem).toBe(false);
    expect(p.detail).toMatch(/unavailable/i);
  });

  it('joins validation errors when there is no detail', () => {
    const p = toProblem(res(400, { title: 'Validation failed', errors: { name: ['too long'] } }));
    expect(p.detail).toBe('name: too long');
  });

  it('describes a network failure', () => {
    const p = toProblem({ message: 'Network Error' });
    expect(p.status).toBe(0);
    expect(p.detail).toContain('Network Error');
  });
});

describe('parseRetryAfter', () => {
  it('accepts seconds and HTTP dates', () => {
    expect(parseRetryAfter('30')).toBe(30);
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:10 GMT', now)).toBe(10);
    expect(parseRetryAfter(undefined)).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
  });
});
