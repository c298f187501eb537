// The workspace's main views besides the designer, one tab each in the header. Each view is
// one component in this folder; App shows the one the store's `view` names.

import type { ComponentType } from "react";
import type { ViewId } from "../store";
import { ConnectorsView } from "./ConnectorsView";
import { ContactsView } from "./ContactsView";
import { EventsView } from "./EventsView";
import { WebhooksView } from "./WebhooksView";

export type ViewEntry = { label: string; title: string; component: ComponentType };

/** The tab label, tooltip and component of every view but the designer. */
export const VIEWS: Partial<Record<ViewId, ViewEntry>> = {
  webhooks: { label: "Webhooks", title: "Saved outbound requests: edit, test, delete and restore", component: WebhooksView },
  connectors: { label: "Connectors", title: "Authentication for webhooks: Basic, Bearer token or API key, secrets in the OS keyring", component: ConnectorsView },
  contacts: { label: "Contacts", title: "Search and import contacts; open a contact's card", component: ContactsView },
  events: { label: "Events", title: "Received and rejected events, events typed by hand, and reception event definitions", component: EventsView },
};
