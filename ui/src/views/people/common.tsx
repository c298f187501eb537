// Small pieces shared by the Connectors, Contacts and Events views: errors keyed by the field
// they concern, the message shown beside a field, times, and a loading/empty/error list state.

import { type ReactNode, useCallback, useEffect, useState } from "react";
import { ApiError } from "../../api";

/** Error messages by field path; `""` holds the error that concerns no field. */
export type FieldErrors = Record<string, string>;

/**
 * Files a failed command's error under the field it concerns: `route` maps the error's path
 * (and code) to one of the form's fields, or to `""` for the form as a whole.
 */
export function fieldErrors(err: unknown, route: (e: ApiError) => string | null = (e) => e.path ?? null): FieldErrors {
  const e = ApiError.from(err);
  const field = route(e) ?? "";
  return { [field]: e.message };
}

/** The error beside a field, if there is one. */
export function FieldError({ errors, field, testId }: { errors: FieldErrors; field: string; testId: string }) {
  const message = errors[field];
  if (!message) return null;
  return (
    <p className="field-issue error" role="alert" data-testid={testId}>
      {message}
    </p>
  );
}

/** A local date and time, to the second. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const thisYear = d.getFullYear() === new Date().getFullYear();
  return d.toLocaleString(undefined, { year: thisYear ? undefined : "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

/** What a list shows before it has rows: loading, an error, or an empty state saying what to do. */
export function ListState({
  loading,
  error,
  empty,
  testId,
  children,
}: {
  loading: boolean;
  error: string | null;
  empty: boolean;
  testId: string;
  children: ReactNode;
}) {
  if (error)
    return (
      <p className="ws-notice error" role="alert" data-testid={`${testId}-error`}>
        {error}
      </p>
    );
  if (loading)
    return (
      <p className="empty-state" data-testid={`${testId}-loading`}>
        Loading…
      </p>
    );
  if (empty)
    return (
      <div className="empty-state" data-testid={`${testId}-empty`}>
        {children}
      </div>
    );
  return null;
}

/**
 * Loads something from the backend when mounted and again on `reload()`; keeps the last data
 * while reloading. `load` must be a stable function (one of `api`'s).
 */
export function useLoaded<T>(load: () => Promise<T>, what: string) {
  const [state, setState] = useState<{ data: T | null; error: string | null }>({ data: null, error: null });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load()
      .then((data) => live && setState({ data, error: null }))
      .catch((err) => live && setState((s) => ({ data: s.data, error: `${what}: ${ApiError.from(err).message}` })));
    return () => {
      live = false;
    };
  }, [load, what, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, reload };
}
