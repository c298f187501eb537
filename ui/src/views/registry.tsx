// The workspace's main views besides the designer, one tab each in the header. Each view is
// one component in this folder; App shows the one the store's `view` names.

import type { ComponentType } from "react";
import type { ViewId } from "../store";
import { WebhooksView } from "./WebhooksView";

export type ViewEntry = { label: string; title: string; component: ComponentType };

/** The tab label, tooltip and component of every view but the designer. */
export const VIEWS: Partial<Record<ViewId, ViewEntry>> = {
  webhooks: { label: "Webhooks", title: "Saved outbound requests: edit, test, delete and restore", component: WebhooksView },
};
