import { useEffect, useState } from 'react';
import { boxToPercent, pointToPercent } from '../lib/geometry.js';
import { age, bestMatch, personName } from '../lib/format.js';

/** Short label drawn on a face box: number, who, gender/age. */
export function faceTag(face, index, withIdentity) {
  const parts = [`${index + 1}`];
  if (withIdentity) {
    const m = bestMatch(face);
    if (m) parts.push(personName(m));
    else if (face.unknown !== undefined) parts.push('unknown');
  }
  const g = face.gender?.label ? (face.gender.label === 'female' ? 'F' : face.gender.label === 'male' ? 'M' : face.gender.label) : null;
  const a = face.age !== null && face.age !== undefined ? age(face.age) : null;
  if (g || a) parts.push([g, a].filter(Boolean).join(' '));
  return parts.join(' · ');
}

/**
 * The photo, scaled to fit, with a box on every face. Boxes are placed in percent of the image's pixel size, so they
 * stay on the faces at any display size. Hovering or focusing a box highlights its row (and the reverse).
 */
export default function FaceOverlay({ src, alt, result, active, onActive, withIdentity, showLandmarks }) {
  const w = result?.imageWidth;
  const h = result?.imageHeight;
  const [broken, setBroken] = useState(false);
  useEffect(() => setBroken(false), [src]);
  if (broken && !result) {
    return (
      <p className="placeholder muted small" data-testid="analyze-no-preview">
        The browser cannot show this file.
      </p>
    );
  }
  return (
    <figure className="overlay" data-testid="analyze-figure">
      <div className="overlay-inner">
        <img src={src} alt={alt} className="photo" data-testid="analyze-photo" onError={() => setBroken(true)} />
        {result &&
          result.faces.map((face, i) => {
            const pos = boxToPercent(face.box, w, h);
            if (!pos) return null;
            const m = withIdentity ? bestMatch(face) : null;
            const cls = ['facebox', active === i ? 'active' : '', withIdentity ? (m ? 'known' : 'unknown') : ''].join(' ');
            return (
              <div
                key={i}
                className={cls}
                style={pos}
                data-testid="face-box"
                data-face-index={i}
                tabIndex={0}
                role="button"
                aria-pressed={active === i}
                aria-label={`Face ${i + 1}: ${faceTag(face, i, withIdentity)}`}
                onMouseEnter={() => onActive(i)}
                onMouseLeave={() => onActive(null)}
                onFocus={() => onActive(i)}
                onBlur={() => onActive(null)}
                onClick={() => document.getElementById(`face-row-${i}`)?.scrollIntoView({ block: 'nearest' })}
              >
                <span className="facetag" data-testid="face-tag">
                  {faceTag(face, i, withIdentity)}
                </span>
              </div>
            );
          })}
        {result &&
          showLandmarks &&
          result.faces.flatMap((face, i) =>
            (face.landmarks || []).map((pt, j) => {
              const pos = pointToPercent(pt, w, h);
              return pos ? <span key={`${i}-${j}`} className="landmark" style={pos} title={pt.name} aria-hidden="true" /> : null;
            }),
          )}
      </div>
      {result && (
        <figcaption className="muted small">
          {result.imageWidth} × {result.imageHeight} px · {result.faces.length} {result.faces.length === 1 ? 'face' : 'faces'}
          {result.modelIds?.length ? ` · models ${result.modelIds.join(', ')}` : ''}
        </figcaption>
      )}
    </figure>
  );
}

