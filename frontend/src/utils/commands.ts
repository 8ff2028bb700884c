/**
 * Slash commands in the composer, as the server reads them (parley/bots/commands.py):
 * a body whose first word is `/name`. The typeahead is open while that first word is
 * being typed (no space yet, the caret at its end).
 */
import type { CommandInfo } from '@/api/types'

/** The command name being typed ("" right after the "/"), or null when not typing one. */
export function commandQuery(text: string, caret: number): string | null {
  if (caret !== text.length) return null
  const m = /^\/([A-Za-z][A-Za-z0-9_-]{0,31})?$/.exec(text)
  return m ? (m[1] ?? '').toLowerCase() : null
}

/** The commands whose name starts with `query`, built-ins first as the server lists them. */
export function matchCommands(all: readonly CommandInfo[], query: string, max = 8): CommandInfo[] {
  return all.filter((c) => c.name.startsWith(query)).slice(0, max)
}

/** "/me waves" is an action: shown as "<name> waves". */
export function actionText(body: string): string | null {
  return body.startsWith('/me ') ? body.slice(4) : null
}
