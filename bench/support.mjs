// Helpers shared by the benchmark modules.

/** SIGTERM, then SIGKILL after 10 s; resolves when the process is gone (or was never there). */
export function stopChild(child) {
  return new Promise((ok) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return ok()
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.once('exit', () => {
      clearTimeout(kill)
      ok()
    })
    child.kill('SIGTERM')
  })
}
