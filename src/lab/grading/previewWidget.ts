/** A read-only view of what learners will get from `threadline release`. */
import { Widget } from '@lumino/widgets';
import type { PreviewCell } from './studentVersion.js';

export function previewWidget(title: string, cells: PreviewCell[]): Widget {
  const widget = new Widget();
  widget.addClass('tl-StudentPreview');
  widget.id = `threadline-student-preview-${Math.random().toString(36).slice(2)}`;
  widget.title.label = `Student: ${title}`;
  widget.title.closable = true;
  const note = document.createElement('p');
  note.className = 'tl-StudentPreview-note';
  note.textContent =
    'Student version (read-only): solutions are replaced by stubs, hidden tests are removed. Write it with `threadline release`.';
  widget.node.append(note);
  for (const cell of cells) {
    const box = document.createElement('div');
    box.className = `tl-StudentPreview-cell tl-StudentPreview-${cell.cellType}`;
    if (cell.gradeId) {
      const label = document.createElement('div');
      label.className = 'tl-StudentPreview-label';
      label.textContent = `${cell.gradeId}${cell.points !== undefined ? ` · ${cell.points} points` : ''}${cell.locked ? ' · read-only' : ''}`;
      box.append(label);
    }
    const pre = document.createElement('pre');
    pre.textContent = cell.source;
    box.append(pre);
    widget.node.append(box);
  }
  return widget;
}
