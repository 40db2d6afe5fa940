import { age, bestMatch, fixed, percent, personName, topEmotion } from '../lib/format.js';

function Who({ face }) {
  const m = bestMatch(face);
  if (m) {
    return (
      <span className="who known" data-testid="face-who" title={m.externalId ? `external id ${m.externalId}` : undefined}>
        <strong>{personName(m)}</strong>
        <span className="muted small sim"> similarity {fixed(m.similarity, 2)}</span>
      </span>
    );
  }
  if (face.unknown || face.matches) {
    return (
      <span className="who unknown" data-testid="face-who">
        unknown
      </span>
    );
  }
  return <span className="muted">—</span>;
}

/** One row per face: who, age, gender with probability, emotion, liveness, quality, detection score. */
export default function FaceTable({ result, active, onActive, withIdentity }) {
  if (!result) return null;
  if (!result.faces.length) {
    return (
      <p className="alert info" role="status" data-testid="no-faces">
        No face was found in this photo.
      </p>
    );
  }
  return (
    <div className="table-wrap" tabIndex={-1}>
      <table className="faces" data-testid="face-table">
        <caption className="visually-hidden">Faces found in the photo</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            {withIdentity && <th scope="col">Who</th>}
            <th scope="col">Age</th>
            <th scope="col">Gender</th>
            <th scope="col">Emotion</th>
            <th scope="col">Liveness</th>
            <th scope="col">Quality</th>
            <th scope="col">Detection</th>
          </tr>
        </thead>
        <tbody>
          {result.faces.map((face, i) => {
            const emo = topEmotion(face.emotion);
            return (
              <tr
                key={i}
                id={`face-row-${i}`}
                className={active === i ? 'active' : ''}
                data-testid="face-row"
                data-face-index={i}
                tabIndex={0}
                aria-label={`Face ${i + 1}`}
                onMouseEnter={() => onActive(i)}
                onMouseLeave={() => onActive(null)}
                onFocus={() => onActive(i)}
                onBlur={() => onActive(null)}
              >
                <th scope="row">{i + 1}</th>
                {withIdentity && (
                  <td data-label="Who">
                    <Who face={face} />
                  </td>
                )}
                <td data-label="Age" data-testid="face-age">
                  {age(face.age)}
                </td>
                <td data-label="Gender" data-testid="face-gender">
                  {face.gender ? (
                    <span>
                      {face.gender.label} <span className="muted">{percent(face.gender.probability)}</span>
                    </span>
                  ) : (
                    '—'
                  )}
                </td>
                <td data-label="Emotion" data-testid="face-emotion">
                  {emo ? (
                    <span title={face.emotion.scores ? Object.entries(face.emotion.scores).map(([k, v]) => `${k} ${percent(v)}`).join(', ') : ''}>
                      {emo.label} {emo.score !== null && <span className="muted">{percent(emo.score)}</span>}
                    </span>
                  ) : (
                    '—'
                  )}
                </td>
                <td data-label="Liveness" data-testid="face-liveness">
                  {face.liveness ? (
                    <span>
                      real {percent(face.liveness.real)} · live {percent(face.liveness.live)}
                    </span>
                  ) : (
                    '—'
                  )}
                </td>
                <td data-label="Quality">{face.quality ? fixed(face.quality.score, 2) : '—'}</td>
                <td data-label="Detection">{fixed(face.score, 2)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
