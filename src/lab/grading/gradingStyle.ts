/** Styles of the grading toolbar's results, injected once (theme variables, light and dark). */
const CSS = `
.tl-CheckResult{margin:2px 0 6px 70px;padding:3px 8px;border-left:3px solid var(--jp-border-color1);font-size:var(--jp-ui-font-size1);color:var(--jp-ui-font-color1);background:var(--jp-layout-color1)}
.tl-CheckResult-passed{border-left-color:var(--jp-success-color1)}
.tl-CheckResult-partial{border-left-color:var(--jp-warn-color1)}
.tl-CheckResult-failed{border-left-color:var(--jp-error-color1)}
.tl-CheckResult-message{color:var(--jp-ui-font-color2)}
.tl-ScoreBadge{align-self:center;padding:0 8px;font-size:var(--jp-ui-font-size1);font-weight:600;border-radius:10px}
.tl-ScoreBadge[data-state="full"]{background:var(--jp-success-color3);color:var(--jp-ui-font-color0)}
.tl-ScoreBadge[data-state="partial"]{background:var(--jp-warn-color3);color:var(--jp-ui-font-color0)}
.tl-ScoreBadge[data-state="running"]{color:var(--jp-ui-font-color2)}
.tl-StudentPreview{overflow:auto;padding:12px 16px;background:var(--jp-layout-color0)}
.tl-StudentPreview-note{color:var(--jp-ui-font-color2);font-size:var(--jp-ui-font-size1)}
.tl-StudentPreview-cell{margin:8px 0}
.tl-StudentPreview-cell pre{margin:0;padding:6px 8px;white-space:pre-wrap;font-family:var(--jp-code-font-family);font-size:var(--jp-code-font-size);background:var(--jp-cell-editor-background);border:1px solid var(--jp-cell-editor-border-color)}
.tl-StudentPreview-markdown pre{font-family:var(--jp-content-font-family);background:none;border:none}
.tl-StudentPreview-label{font-size:var(--jp-ui-font-size0);color:var(--jp-ui-font-color2)}
`;

let injected = false;

export function injectGradingStyle(): void {
  if (injected || typeof document === 'undefined') return;
  injected = true;
  const style = document.createElement('style');
  style.dataset.threadline = 'grading';
  style.textContent = CSS;
  document.head.append(style);
}
