/** Save a Blob as a file through a temporary link (works in JupyterLab and plain pages). */
export function downloadBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A file name from a trace label: "%%timeline fetch_all()" → "threadline-fetch_all.json". */
export function fileNameFor(label: string | undefined, ext: string): string {
  const base = (label ?? '')
    .replace(/^%%timeline\s*/, '')
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return `threadline${base ? '-' + base : ''}.${ext}`;
}
