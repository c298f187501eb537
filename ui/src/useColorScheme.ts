import { useSyncExternalStore } from "react";

const query = "(prefers-color-scheme: dark)";

function subscribe(notify: () => void): () => void {
  if (typeof window === "undefined" || !window.matchMedia) return () => {};
  const list = window.matchMedia(query);
  list.addEventListener("change", notify);
  return () => list.removeEventListener("change", notify);
}

function current(): "light" | "dark" {
  return typeof window !== "undefined" && window.matchMedia?.(query).matches ? "dark" : "light";
}

/** The OS colour scheme, for the few widgets (CodeMirror, React Flow) that take it as a prop. */
export function useColorScheme(): "light" | "dark" {
  return useSyncExternalStore(subscribe, current, () => "light");
}
