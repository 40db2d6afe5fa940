import { useId, useRef, useState } from 'react';
import CameraCapture from './CameraCapture.jsx';

const ACCEPT = 'image/jpeg,image/png,image/webp,image/bmp,image/gif,image/*';

/**
 * Drop a photo here or pick one (several with `multiple`); "Take a photo" uses the camera where the browser allows.
 * Calls onFiles(File[]).
 */
export default function ImagePicker({ label, onFiles, multiple = false, camera = true, name = 'image', testId, hint, compact = false }) {
  const id = useId();
  const inputRef = useRef(null);
  const [over, setOver] = useState(false);
  const [cameraOpen, setCameraOpen] = useState(false);
  const canCamera = camera && typeof navigator !== 'undefined' && !!navigator.mediaDevices?.getUserMedia && window.isSecureContext;

  const take = (list) => {
    const files = Array.from(list || []);
    if (!files.length) return;
    onFiles(multiple ? files : files.slice(0, 1));
  };

  return (
    <div
      className={`dropzone${over ? ' over' : ''}${compact ? ' compact' : ''}`}
      data-testid={testId}
      onDragOver={(e) => {
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        take(e.dataTransfer.files);
      }}
    >
      <p className="dz-text">
        <svg className="dz-icon" aria-hidden="true" viewBox="0 0 24 24" width="22" height="22">
          <path d="M4 7h3l2-2h6l2 2h3v12H4z" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinejoin="round" />
          <circle cx="12" cy="13" r="3.5" fill="none" stroke="currentColor" strokeWidth="1.8" />
        </svg>{' '}
        {multiple ? 'Drop photos here, or' : 'Drop a photo here, or'}
      </p>
      <div className="row center wrap">
        <input
          ref={inputRef}
          id={id}
          name={name}
          type="file"
          accept={ACCEPT}
          multiple={multiple}
          className="visually-hidden file-input"
          onChange={(e) => {
            take(e.target.files);
            e.target.value = '';
          }}
        />
        <label htmlFor={id} className="button">
          {label}
        </label>
        {canCamera && (
          <button type="button" className="secondary" onClick={() => setCameraOpen(true)}>
            Take a photo
          </button>
        )}
      </div>
      {hint && <p className="muted small">{hint}</p>}
      {cameraOpen && (
        <CameraCapture
          onClose={() => setCameraOpen(false)}
          onCapture={(file) => {
            setCameraOpen(false);
            onFiles([file]);
          }}
        />
      )}
    </div>
  );
}
