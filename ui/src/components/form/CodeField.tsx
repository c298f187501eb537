import { autocompletion, type CompletionContext, type CompletionResult } from "@codemirror/autocomplete";
import { json, jsonParseLinter } from "@codemirror/lang-json";
import { xml } from "@codemirror/lang-xml";
import { type Diagnostic, linter, lintGutter } from "@codemirror/lint";
import type { Extension, Text } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import CodeMirror from "@uiw/react-codemirror";
import { useMemo } from "react";
import type { CodeLanguage } from "../../bindings/CodeLanguage";
import type { Variable } from "../../expressions";
import { useColorScheme } from "../../useColorScheme";

type Props = {
  id: string;
  value: string;
  onChange: (value: string) => void;
  language: CodeLanguage;
  variables: readonly Variable[];
  testId?: string;
  label?: string;
};

/** Where an XML document fails to parse, as a diagnostic (DOMParser's own message). */
export function xmlDiagnostics(doc: Text): Diagnostic[] {
  const text = doc.toString();
  if (!text.trim()) return [];
  const parsed = new DOMParser().parseFromString(text, "application/xml");
  const error = parsed.getElementsByTagName("parsererror")[0];
  if (!error) return [];
  const message = (error.textContent ?? "invalid XML").replace(/\s+/g, " ").trim();
  const m = /line (?:number )?(\d+)[^\d]+(\d+)/i.exec(message);
  let from = 0;
  if (m) {
    const line = doc.line(Math.min(Math.max(1, Number(m[1])), doc.lines));
    from = Math.min(line.from + Math.max(0, Number(m[2]) - 1), line.to);
  }
  return [{ from, to: Math.min(from + 1, doc.length), severity: "error", message }];
}

function variableCompletions(variables: readonly Variable[]) {
  return (ctx: CompletionContext): CompletionResult | null => {
    const m = ctx.matchBefore(/\$\{[\w.]*$/);
    if (!m) return null;
    return {
      from: m.from + 2,
      options: variables.map((v) => ({ label: v.name, detail: v.detail, type: "variable", apply: `${v.name}}` })),
      validFor: /^[\w.]*$/,
    };
  };
}

/** A CodeMirror editor for JSON, XML or text templates, with syntax lint and `${…}` completion. */
export function CodeField({ id, value, onChange, language, variables, testId, label }: Props) {
  const scheme = useColorScheme();
  const extensions = useMemo(() => {
    const list: Extension[] = [
      EditorView.lineWrapping,
      autocompletion({ override: [variableCompletions(variables)] }),
      EditorView.contentAttributes.of({ "aria-label": label ?? id }),
    ];
    if (language === "json") list.push(json(), linter(jsonParseLinter(), { delay: 300 }), lintGutter());
    if (language === "xml") list.push(xml(), linter((view) => xmlDiagnostics(view.state.doc), { delay: 300 }), lintGutter());
    return list;
  }, [language, variables, label, id]);

  return (
    <div id={id} data-testid={testId ?? id} className="code-field" tabIndex={-1}>
      <CodeMirror
        value={value}
        onChange={onChange}
        extensions={extensions}
        theme={scheme}
        basicSetup={{ foldGutter: false, highlightActiveLine: false, autocompletion: false }}
        minHeight="80px"
        maxHeight="320px"
      />
    </div>
  );
}
