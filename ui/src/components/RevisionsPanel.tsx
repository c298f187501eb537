import { useEffect, useState } from "react";
import { api, ApiError, type Revision } from "../api";
import { useEditor } from "../store";
import { restoreRevision } from "../workspace";
import { Icon } from "./Icon";

function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

/** The saved revisions of the open workflow, newest first, each restorable. */
export function RevisionsPanel() {
  const name = useEditor((s) => s.meta?.name ?? null);
  const saved = useEditor((s) => (s.save.kind === "saved" ? s.save.revision : null));
  const setOverlay = useEditor((s) => s.setOverlay);
  const [revisions, setRevisions] = useState<Revision[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!name) return;
    let live = true;
    api
      .listRevisions(name)
      .then((list) => live && setRevisions([...list].sort((a, b) => b.number - a.number)))
      .catch((err) => live && setError(ApiError.from(err).message));
    return () => {
      live = false;
    };
  }, [name, saved]);

  return (
    <section className="revisions popover" aria-label="Revisions" data-testid="revisions-panel">
      <div className="panel-head">
        <h2 className="panel-title">Revisions of {name}</h2>
        <button type="button" className="icon-btn" aria-label="Close revisions" onClick={() => setOverlay(null)}>
          <Icon name="close" />
        </button>
      </div>
      {error && <p className="field-issue error">{error}</p>}
      {!revisions && !error && <p className="muted hint">Loading revisions…</p>}
      {revisions?.length === 0 && <p className="muted hint">No revision saved yet: changes are saved automatically.</p>}
      <ul className="revision-list">
        {revisions?.map((r, i) => (
          <li key={r.number} className="revision-item" data-testid={`revision-${r.number}`}>
            <span>
              <strong>#{r.number}</strong> {i === 0 && <span className="badge muted">current</span>}
              <span className="muted small block">{formatTime(r.saved_at)}</span>
            </span>
            <button
              type="button"
              className="btn small"
              data-testid={`restore-revision-${r.number}`}
              onClick={async () => {
                if (await restoreRevision(r.number)) setOverlay(null);
              }}
            >
              Restore
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
