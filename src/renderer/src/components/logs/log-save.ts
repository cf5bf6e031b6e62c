const pad = (n: number) => String(n).padStart(2, '0')

/** `<name>-<yyyymmdd-hhmmss>.log` in local time; characters file systems dislike become `_`. */
export function logFileName(name: string, at: Date = new Date()): string {
  const safe =
    name
      .trim()
      // eslint-disable-next-line no-control-regex
      .replace(/[\\/:*?"<>|\u0000-\u001f\s]+/g, '_')
      .replace(/^\.+/, '')
      .slice(0, 80) || 'log'
  const stamp =
    `${at.getFullYear()}${pad(at.getMonth() + 1)}${pad(at.getDate())}-` +
    `${pad(at.getHours())}${pad(at.getMinutes())}${pad(at.getSeconds())}`
  return `${safe}-${stamp}.log`
}

/** The file's text: one line each, newline-terminated. */
export function logFileText(lines: readonly string[]): string {
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`
}

/** Saves text as a download through a temporary `<a download>` (Electron and browser mode). */
export function downloadText(text: string, filename: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }))
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  a.rel = 'noopener'
  a.style.display = 'none'
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}
