/** A <select> of the tenant's collections, with a "none" choice. */
export default function CollectionSelect({ id, label, value, onChange, collections, noneLabel = 'None (no identification)', required = false }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} required={required}>
        <option value="">{noneLabel}</option>
        {collections.map((c) => (
          <option key={c.id} value={c.id}>
            {c.name} ({c.subjectCount} {c.subjectCount === 1 ? 'person' : 'people'})
          </option>
        ))}
      </select>
    </div>
  );
}
