import { useEffect, useRef, useState } from 'react';

/** A live camera preview with a "Capture" button; hands back a JPEG File. */
export default function CameraCapture({ onCapture, onClose }) {
  const videoRef = useRef(null);
  const [error, setError] = useState(null);
  const [ready, setReady] = useState(false);

  useEffect(() => {
    let stream;
    let cancelled = false;
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: 'user' }, audio: false })
      .then((s) => {
        if (cancelled) {
          s.getTracks().forEach((t) => t.stop());
          return;
        }
        stream = s;
        if (videoRef.current) {
          videoRef.current.srcObject = s;
          videoRef.current.play().catch(() => {});
        }
        setReady(true);
      })
      .catch((e) => setError(e?.message || 'The camera could not be opened.'));
    return () => {
      cancelled = true;
      stream?.getTracks().forEach((t) => t.stop());
    };
  }, []);

  const capture = () => {
    const v = videoRef.current;
    if (!v || !v.videoWidth) return;
    const canvas = document.createElement('canvas');
    canvas.width = v.videoWidth;
    canvas.height = v.videoHeight;
    canvas.getContext('2d').drawImage(v, 0, 0);
    canvas.toBlob(
      (blob) => {
        if (blob) onCapture(new File([blob], `camera-${Date.now()}.jpg`, { type: 'image/jpeg' }));
      },
      'image/jpeg',
      0.92,
    );
  };

  return (
    <div className="camera" role="dialog" aria-label="Camera" aria-modal="false">
      {error ? (
        <p role="alert" className="alert error">
          Camera unavailable: {error}
        </p>
      ) : (
        <video ref={videoRef} playsInline muted aria-label="Camera preview" />
      )}
      <div className="row">
        <button type="button" onClick={capture} disabled={!ready}>
          Capture
        </button>
        <button type="button" className="secondary" onClick={onClose}>
          Close camera
        </button>
      </div>
    </div>
  );
}
