/**
 * Per-student feedback as one self-contained HTML page: the score, each exercise with its points,
 * status and message, then the notebook as it ran. Hidden tests never appear: cells show their
 * student-visible source, and errors of hidden-test cells only their message. Outputs are shown
 * as text or images only — never as the student's HTML, which could run scripts in the reader.
 */
import type { SubmissionRecord } from '../engine/gradebook.js';
import type { Output } from '../../kernel/kernelClient.js';

const escape = (text: string) =>
  text.replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
// eslint-disable-next-line no-control-regex
const stripAnsi = (text: string) => text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
const MAX_TEXT = 20_000;

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}\n… (${text.length - MAX_TEXT} more characters)` : text;
}

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
      const text = data['text/plain'];
      return typeof text === 'string' ? `<pre class="out">${escape(clip(text))}</pre>` : '';
    }
  }
}

const STATUS_MARK: Record<string, string> = { passed: '✓', partial: '~', manual: '·' };

export function feedbackHtml(record: SubmissionRecord): string {
  const rows = record.grades
    .map(g => {
      const mark = STATUS_MARK[g.status] ?? '✗';
      const columns = [mark, escape(g.gradeId), `${g.score} / ${g.maxScore}`, escape(g.status), escape(g.message)];
      return `<tr class="${escape(g.status)}">${columns.map(column => `<td>${column}</td>`).join('')}</tr>`;
    })
    .join('\n');
  const cells = record.runs
    .map(run => {
      const label = run.gradeId
        ? `<div class="label">${escape(run.gradeId)}${run.hidden ? ' (has hidden tests, not shown)' : ''}</div>`
        : '';
      if (run.cellType !== 'code')
        return `<section class="cell md">${label}<pre class="md">${escape(clip(run.source))}</pre></section>`;
      const status =
        run.status === 'ok' || run.status === 'skipped'
          ? ''
          : `<div class="status">${escape(run.status)}${run.message ? `: ${escape(run.message)}` : ''}</div>`;
      const source = `<pre class="src">${escape(clip(run.source))}</pre>`;
      return `<section class="cell code">${label}${source}${run.outputs.map(renderOutput).join('')}${status}</section>`;
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
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<style>
body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}\
td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
tr.passed td:first-child{color:#1a7f37}tr.failed td:first-child,tr.timeout td:first-child{color:#cf222e}
.cell{margin:1rem 0}.label{font-size:.8rem;color:#666}\
pre{white-space:pre-wrap;margin:.2rem 0;padding:.5rem;border-radius:4px}
pre.src{background:#f6f8fa}pre.out{background:#fff;border-left:3px solid #ddd}\
pre.error{border-left-color:#cf222e;background:#fff5f5}
pre.stderr{border-left-color:#d4a72c}.status{color:#cf222e;font-size:.9rem}pre.md{background:none;font-family:inherit}
</style></head><body>
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
