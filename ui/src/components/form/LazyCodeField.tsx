import { type ComponentProps, lazy, Suspense } from "react";
import type { CodeField as EagerCodeField } from "./CodeField";

const CodeField = lazy(() => import("./CodeField").then((m) => ({ default: m.CodeField })));

/**
 * The code editor (CodeField), whose CodeMirror is loaded the first time a code field is
 * shown: the app starts without it, and holds less memory until a body is edited. Until it
 * has loaded, the text is shown read-only in its place.
 */
export function LazyCodeField(props: ComponentProps<typeof EagerCodeField>) {
  return (
    <Suspense fallback={<textarea className="input mono code-loading" id={props.id} readOnly value={props.value} aria-label={props.label} />}>
      <CodeField {...props} />
    </Suspense>
  );
}
