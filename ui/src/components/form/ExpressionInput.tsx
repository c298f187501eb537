import { useId, useRef, useState, type KeyboardEvent } from "react";
import { applyCompletion, completionAt, matchVariables, type Variable } from "../../expressions";

type Props = {
  id: string;
  value: string;
  onChange: (value: string) => void;
  variables: readonly Variable[];
  placeholder?: string;
  invalid?: boolean;
  testId?: string;
  label?: string;
};

const MAX_SHOWN = 12;

/** A one-line template input that completes `${…}` variables as you type. */
export function ExpressionInput({ id, value, onChange, variables, placeholder, invalid, testId, label }: Props) {
  const input = useRef<HTMLInputElement>(null);
  const listId = useId();
  const [state, setState] = useState<{ from: number; caret: number; items: Variable[]; active: number } | null>(null);

  const refresh = (text: string, caret: number) => {
    const at = completionAt(text, caret);
    if (!at) return setState(null);
    const items = matchVariables(variables, at.prefix).slice(0, MAX_SHOWN);
    setState(items.length ? { from: at.from, caret, items, active: 0 } : null);
  };

  const pick = (v: Variable) => {
    if (!state) return;
    const next = applyCompletion(value, state.from, state.caret, v.name);
    onChange(next.text);
    setState(null);
    requestAnimationFrame(() => {
      input.current?.focus();
      input.current?.setSelectionRange(next.caret, next.caret);
    });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (!state) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const step = e.key === "ArrowDown" ? 1 : -1;
      setState({ ...state, active: (state.active + step + state.items.length) % state.items.length });
    } else if (e.key === "Enter" || e.key === "Tab") {
      e.preventDefault();
      pick(state.items[state.active]);
    } else if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      setState(null);
    }
  };

  return (
    <div className="expr">
      <input
        ref={input}
        id={id}
        data-testid={testId ?? id}
        aria-label={label}
        className={`input mono${invalid ? " invalid" : ""}`}
        value={value}
        placeholder={placeholder}
        spellCheck={false}
        autoComplete="off"
        role="combobox"
        aria-expanded={state !== null}
        aria-controls={listId}
        aria-autocomplete="list"
        onChange={(e) => {
          onChange(e.target.value);
          refresh(e.target.value, e.target.selectionStart ?? e.target.value.length);
        }}
        onKeyDown={onKeyDown}
        onBlur={() => setState(null)}
      />
      {state && (
        <ul className="expr-menu" id={listId} role="listbox">
          {state.items.map((v, i) => (
            <li
              key={v.name}
              role="option"
              aria-selected={i === state.active}
              className={i === state.active ? "active" : undefined}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(v);
              }}
            >
              <span className="mono">{v.name}</span>
              <span className="muted">{v.detail}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
