// Saves text as a file through a temporary link (the app has no server to download from).
export function downloadText(name: string, text: string, type = 'text/csv;charset=utf-8'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Spreadsheet programs read a UTF-8 CSV (Chinese names) correctly only after a byte-order mark. */
export const BOM = '\ufeff';
