/**
 * No raw words in a template: ESLint's `@intlify/vue-i18n/no-raw-text` (configured in
 * eslint.config.js, which `npm run lint` runs too) over every `.vue` file of the client.
 */
import { join } from 'node:path'
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'

const RULE = '@intlify/vue-i18n/no-raw-text'
const cwd = join(__dirname, '..', '..', '..')
const eslint = new ESLint({ cwd })

describe('templates', () => {
  it('mark every string a person reads for translation', async () => {
    const results = await eslint.lintFiles(['src/**/*.vue'])
    const raw = results.flatMap((r) =>
      r.messages.filter((m) => m.ruleId === RULE || m.fatal).map((m) => `${r.filePath}:${m.line} ${m.message}`),
    )
    expect(results.length).toBeGreaterThan(40)
    expect(raw).toEqual([])
  }, 120_000)

  it('the rule catches text, placeholders and labels, and lets symbols and names pass', async () => {
    const probe = `<script setup lang="ts">
import { t } from '@/i18n'
</script>
<template>
  <p>Hello there</p>
  <input placeholder="Search rooms" />
  <button aria-label="Close it">×</button>
  <span>{{ t('common.close') }} · # @ 👍 99+</span>
  <b>Parley</b>
</template>
`
    const [result] = await eslint.lintText(probe, { filePath: join(cwd, 'src', 'components', 'Probe.vue') })
    const found = result!.messages.filter((m) => m.ruleId === RULE).map((m) => m.message)
    expect(found).toEqual([
      expect.stringContaining('Hello there'),
      expect.stringContaining('Search rooms'),
      expect.stringContaining('Close it'),
    ])
  }, 60_000)
})
