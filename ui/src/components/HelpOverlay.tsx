import { useEditor } from "../store";
import { Icon } from "./Icon";

export const SHORTCUTS: [string, string][] = [
  ["N", "New workflow"],
  ["Enter (on a palette item)", "Add the node in the middle of the canvas"],
  ["Delete / Backspace", "Delete the selected nodes and edges"],
  ["Ctrl+C / Ctrl+V", "Copy / paste the selected nodes"],
  ["Ctrl+Z", "Undo"],
  ["Ctrl+Shift+Z / Ctrl+Y", "Redo"],
  ["Ctrl+A", "Select every node"],
  ["Shift+drag", "Select with a box"],
  ["Ctrl+click / Shift+click", "Add to the selection"],
  ["F", "Zoom to fit"],
  ["Ctrl+S", "Save now (changes are also saved automatically)"],
  ["?", "Show or hide this help"],
  ["Escape", "Close a panel or dialog"],
];

export function HelpOverlay() {
  const setOverlay = useEditor((s) => s.setOverlay);
  return (
    <div className="modal-backdrop" onClick={() => setOverlay(null)}>
      <div className="modal" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" data-testid="help-overlay" onClick={(e) => e.stopPropagation()}>
        <div className="panel-head">
          <h2 className="panel-title">Keyboard shortcuts</h2>
          <button type="button" className="icon-btn" aria-label="Close" data-testid="close-dialog" onClick={() => setOverlay(null)} autoFocus>
            <Icon name="close" />
          </button>
        </div>
        <table className="shortcuts">
          <tbody>
            {SHORTCUTS.map(([keys, what]) => (
              <tr key={keys}>
                <td>
                  <kbd>{keys}</kbd>
                </td>
                <td>{what}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
