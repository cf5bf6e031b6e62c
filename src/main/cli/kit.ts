import type { MethodInput, MethodName, MethodOutput } from '../../shared/contract'
import type { Core } from '../core/create-core'

/** Calls a contract method on the core, typed. */
export type Caller = <M extends MethodName>(
  method: M,
  input: MethodInput<M>,
) => Promise<MethodOutput<M>>

/** What the command groups (PasarGuard, Mu API / WireGuard monitor, bridge) borrow from cli.ts. */
export interface CliKit {
  withCore<T>(fn: (core: Core, call: Caller) => Promise<T>): Promise<T>
  print(data: unknown, human: () => string): void
  isJson(): boolean
  stdout(text: string): void
  stderr(text: string): void
  /** Resolves on SIGINT / SIGTERM. */
  waitForStop(): Promise<void>
  /** Tags a failure with the server's name for the one-line error. */
  withName<T>(name: string, fn: () => Promise<T>): Promise<T>
  /** Sets the exit code without printing anything more (the command printed its own output). */
  setExitCode(code: number): void
}

/** A plain text table: columns padded to their widest cell, two spaces apart. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  return [line(head), ...rows.map(line)].join('\n') + '\n'
}
