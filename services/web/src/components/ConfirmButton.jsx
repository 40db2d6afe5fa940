import { useEffect, useRef, useState } from 'react';

/** A destructive action in two steps: the button, then "Yes, delete" / "Cancel" in place (no browser dialog). */
export default function ConfirmButton({ label, confirmLabel = 'Yes, delete', question, onConfirm, ariaLabel, disabled }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const yesRef = useRef(null);
  useEffect(() => {
    if (asking) yesRef.current?.focus();
  }, [asking]);

  if (!asking) {
    return (
      <button type="button" className="danger" aria-label={ariaLabel} onClick={() => setAsking(true)} disabled={disabled}>
        {label}
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label={question}>
      <span className="small">{question}</span>{' '}
      <button
        ref={yesRef}
        type="button"
        className="danger"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          try {
            await onConfirm();
          } finally {
            setBusy(false);
            setAsking(false);
          }
        }}
      >
        {busy ? 'Deleting…' : confirmLabel}
      </button>{' '}
      <button type="button" className="secondary" onClick={() => setAsking(false)} disabled={busy}>
        Cancel
      </button>
    </span>
  );
}
