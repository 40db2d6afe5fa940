import { toProblem } from '../lib/problem.js';

/** Shows an API refusal: the problem's status, title and detail (and Retry-After for 429). */
export default function ProblemAlert({ problem, onDismiss, testId = 'problem' }) {
  if (!problem) return null;
  const p = toProblem(problem);
  return (
    <div className="alert error" role="alert" data-testid={testId} data-status={p.status}>
      <div className="alert-head">
        <strong className="problem-title">
          {p.status ? <span className="status-code">{p.status}</span> : null} {p.title}
        </strong>
        {onDismiss && (
          <button type="button" className="link" onClick={onDismiss} aria-label="Dismiss message">
            ✕
          </button>
        )}
      </div>
      {p.detail && <p className="problem-detail">{p.detail}</p>}
      {p.retryAfter != null && <p className="problem-retry">Retry after {p.retryAfter} s.</p>}
    </div>
  );
}
