/**
 * Per-student feedback as one self-contained HTML page: the score, each exercise with its points,
 * status, message and a grader's comment, then the notebook as it ran, laid out like a notebook
 * (markdown rendered, code with its In/Out prompts and outputs), in light or dark after the
 * reader's system setting. Only the one student's submission is on the page. Hidden tests never
 * appear: cells show their student-visible source, and errors of hidden-test cells only their
 * message. Outputs are shown as markdown, text or images — never as the student's HTML, which
 * could run scripts in the reader.
 */
import type { Output } from '../../kernel/kernelClient.js';
import { finalScore, type GradeRow, type SubmissionRecord } from '../engine/gradebook.js';
import type { CellRun } from '../engine/runner/runResult.js';
import { escapeHtml as escape, renderMarkdown } from './markdown.js';

// eslint-disable-next-line no-control-regex
const stripAnsi = (text: string) => text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
const MAX_TEXT = 20_000;

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}\n… (${text.length - MAX_TEXT} more characters)` : text;
}

const textOf = (value: unknown) => (Array.isArray(value) ? value.join('') : typeof value === 'string' ? value : '');

function renderOutput(output: Output): string {
  switch (output.output_type) {
    case 'stream':
      return `<pre class="out ${output.name}">${escape(clip(output.text))}</pre>`;
    case 'error': {
      const text = output.traceback.length ? output.traceback.join('\n') : `${output.ename}: ${output.evalue}`;
      return `<pre class="out error">${escape(clip(stripAnsi(text)))}</pre>`;
    }
    default: {
      const data = output.data;
      for (const mime of ['image/png', 'image/jpeg']) {
        const value = data[mime];
        if (typeof value === 'string' && /^[A-Za-z0-9+/=\s]+$/.test(value))
          return `<img class="out" alt="figure" src="data:${mime};base64,${value.replace(/\s/g, '')}">`;
      }
      const markdown = textOf(data['text/markdown']);
      if (markdown) return `<div class="out md">${renderMarkdown(clip(markdown))}</div>`;
      const text = textOf(data['text/plain']);
      return text ? `<pre class="out">${escape(clip(text))}</pre>` : '';
    }
  }
}

const STATUS_MARK: Record<string, string> = { passed: '✓', partial: '~', manual: '·' };

function gradeRow(g: GradeRow): string {
  const byHand = g.manualScore !== null && g.manualScore !== undefined;
  const mark = byHand ? '✎' : (STATUS_MARK[g.status] ?? '✗');
  const status = byHand ? 'graded by hand' : g.status;
  const message = [g.message, g.manualComment ?? '']
    .filter(Boolean)
    .map(text => escape(text))
    .join('<br>');
  const columns = [mark, escape(g.gradeId), `${finalScore(g)} / ${g.maxScore}`, escape(status), message];
  return `<tr class="${escape(byHand ? 'passed' : g.status)}">${columns.map(c => `<td>${c}</td>`).join('')}</tr>`;
}

function renderCell(run: CellRun, count: number | undefined, comment: string | undefined): string {
  const label = run.gradeId
    ? `<div class="label">${escape(run.gradeId)}${run.hidden ? ' (has hidden tests, not shown)' : ''}</div>`
    : '';
  const note = comment ? `<div class="comment">Grader: ${escape(comment)}</div>` : '';
  if (run.cellType === 'markdown')
    return `<section class="cell md">${label}<div class="md">${renderMarkdown(clip(run.source))}</div>${note}</section>`;
  if (run.cellType !== 'code')
    return `<section class="cell raw">${label}<pre class="raw">${escape(clip(run.source))}</pre>${note}</section>`;
  const prompt = `<div class="prompt">In [${count ?? ' '}]:</div>`;
  const status =
    run.status === 'ok' || run.status === 'skipped'
      ? ''
      : `<div class="status">${escape(run.status)}${run.message ? `: ${escape(run.message)}` : ''}</div>`;
  const source = `<pre class="src">${escape(clip(run.source))}</pre>`;
  const outputs = run.outputs.map(renderOutput).join('');
  return `<section class="cell code">${label}<div class="input">${prompt}${source}</div>\
${outputs ? `<div class="outputs">${outputs}</div>` : ''}${status}${note}</section>`;
}

const STYLE = `
:root{color-scheme:light dark;--fg:#1f2328;--muted:#656d76;--bg:#fff;--code:#f6f8fa;--line:#d0d7de;
--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--errbg:#fff5f5;--link:#0969da}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#8d96a0;--bg:#0d1117;--code:#161b22;
--line:#30363d;--ok:#3fb950;--bad:#f85149;--warn:#d29922;--errbg:#2a1215;--link:#4493f8}}
body{font:15px/1.5 system-ui,sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem;color:var(--fg);background:var(--bg)}
a{color:var(--link)}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top}
tr.passed td:first-child{color:var(--ok)}tr.failed td:first-child,tr.timeout td:first-child{color:var(--bad)}
.cell{margin:1rem 0}.label,.prompt{font-size:.8rem;color:var(--muted)}
.input{display:grid;grid-template-columns:4.5rem 1fr;align-items:start}.outputs{margin-left:4.5rem}
pre{white-space:pre-wrap;margin:.2rem 0;padding:.5rem;border-radius:4px;overflow-wrap:anywhere}
pre.src,.md pre{background:var(--code)}pre.out{border-left:3px solid var(--line)}
pre.error{border-left-color:var(--bad);background:var(--errbg)}pre.stderr{border-left-color:var(--warn)}
code{background:var(--code);padding:0 .2em;border-radius:3px}.md{padding:0 .5rem}
blockquote{border-left:3px solid var(--line);margin:.3rem 0;padding-left:.7rem;color:var(--muted)}
.status{color:var(--bad);font-size:.9rem}.comment{border-left:3px solid var(--link);padding:.2rem .6rem;margin:.3rem 0}
img.out{max-width:100%;background:#fff}
`;

export function feedbackHtml(record: SubmissionRecord): string {
  const rows = record.grades.map(gradeRow).join('\n');
  const comments = new Map(record.grades.filter(g => g.manualComment).map(g => [g.gradeId, g.manualComment]));
  let count = 0;
  const cells = record.runs
    .map(run => {
      const ran = run.cellType === 'code' && run.status !== 'skipped' && run.status !== 'not-run';
      return renderCell(run, ran ? ++count : undefined, run.gradeId ? comments.get(run.gradeId) : undefined);
    })
    .join('\n');
  const reason = record.reason ? ` — ${escape(record.reason)}` : '';
  // what the grader changed in the notebook before running it, so a student knows why it ran differently
  const repairs = record.repairs.length
    ? `<h2>What the grader repaired</h2>\n<ul class="repairs">${record.repairs
        .map(r => `<li><b>${escape(r.gradeId)}</b>: ${escape(r.reason)}</li>`)
        .join('')}</ul>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(record.assignment)} — ${escape(record.student)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<style>${STYLE}</style></head><body>
<h1>${escape(record.assignment)}: ${record.score} / ${record.maxScore}</h1>
<p>Student: <b>${escape(record.student)}</b> · graded ${escape(record.gradedAt)} · \
status <b>${escape(record.status)}</b>${reason}</p>
<table><thead><tr><th></th><th>exercise</th><th>points</th><th>status</th><th>message</th></tr></thead><tbody>
${rows}
</tbody></table>
${repairs}
<h2>Your notebook as it ran</h2>
${cells}
</body></html>
`;
}
