#!/usr/bin/env node
// First-load JS budget: the entry chunk + everything it imports statically,
// gzip-compressed, must stay under the limit. Run after `npm run build`.
import { readFileSync, existsSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const LIMIT_KB = Number(process.env.SIZE_LIMIT_KB ?? 200)
const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist')
const manifestPath = join(dist, '.vite', 'manifest.json')
if (!existsSync(manifestPath)) {
  console.error('size: dist/.vite/manifest.json not found; run `npm run build` first')
  process.exit(2)
}
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
const entries = Object.entries(manifest).filter(([, c]) => c.isEntry)
if (entries.length === 0) {
  console.error('size: no entry chunk in the manifest')
  process.exit(2)
}

const seen = new Set()
function walk(key) {
  if (seen.has(key)) return
  seen.add(key)
  for (const dep of manifest[key]?.imports ?? []) walk(dep)
}
for (const [key] of entries) walk(key)

let raw = 0
let gz = 0
const rows = []
for (const key of seen) {
  const file = manifest[key].file
  if (!file.endsWith('.js')) continue
  const buf = readFileSync(join(dist, file))
  const g = gzipSync(buf, { level: 9 }).length
  raw += buf.length
  gz += g
  rows.push([file, buf.length, g])
}
const kb = (n) => (n / 1024).toFixed(1)
for (const [file, r, g] of rows) console.log(`  ${file.padEnd(40)} ${kb(r).padStart(8)} KB  ${kb(g).padStart(7)} KB gzip`)
console.log(`first-load JS: ${kb(raw)} KB raw, ${kb(gz)} KB gzip (limit ${LIMIT_KB} KB gzip)`)
if (gz > LIMIT_KB * 1024) {
  console.error(`size: over budget by ${kb(gz - LIMIT_KB * 1024)} KB`)
  process.exit(1)
}
