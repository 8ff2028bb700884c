/**
 * Syntax highlighting for fenced code blocks. This module is only ever loaded
 * with a dynamic import (`MessageCodeBlock.vue`), the first time a message
 * with a fence is shown: highlight.js and its grammars stay out of the first
 * load.
 *
 * lowlight runs highlight.js and returns a syntax tree (hast) instead of an
 * HTML string; we keep only its text and the `hljs-*` class names of its
 * spans, so what reaches the DOM is text nodes in <span>s, built by Vue.
 */
import { createLowlight } from 'lowlight'
import type { ElementContent, RootContent } from 'hast'
import bash from 'highlight.js/lib/languages/bash'
import c from 'highlight.js/lib/languages/c'
import cpp from 'highlight.js/lib/languages/cpp'
import css from 'highlight.js/lib/languages/css'
import diff from 'highlight.js/lib/languages/diff'
import go from 'highlight.js/lib/languages/go'
import java from 'highlight.js/lib/languages/java'
import javascript from 'highlight.js/lib/languages/javascript'
import json from 'highlight.js/lib/languages/json'
import python from 'highlight.js/lib/languages/python'
import rust from 'highlight.js/lib/languages/rust'
import sql from 'highlight.js/lib/languages/sql'
import typescript from 'highlight.js/lib/languages/typescript'
import xml from 'highlight.js/lib/languages/xml'
import yaml from 'highlight.js/lib/languages/yaml'

/** A highlighted run: plain text, or a span with highlight.js class names around more runs. */
export type HlNode = string | { cls: string; children: HlNode[] }

const lowlight = createLowlight({ bash, c, cpp, css, diff, go, java, javascript, json, python, rust, sql, typescript, xml, yaml })

// Guessing the language of an unlabelled block costs a pass per grammar: only for short blocks.
const AUTO_MAX = 2000
const AUTO_MIN_RELEVANCE = 5

/** The code as highlighted runs, or null when the language is unknown or cannot be guessed. */
export function highlight(code: string, lang: string): HlNode[] | null {
  let tree
  if (lang) {
    if (!lowlight.registered(lang)) return null
    tree = lowlight.highlight(lang, code)
  } else {
    if (code.length > AUTO_MAX) return null
    tree = lowlight.highlightAuto(code)
    if ((tree.data?.relevance ?? 0) < AUTO_MIN_RELEVANCE) return null
  }
  return tree.children.map(convert)
}

function convert(node: RootContent | ElementContent): HlNode {
  if (node.type === 'text') return node.value
  if (node.type === 'element') {
    const names = node.properties.className
    const cls = (Array.isArray(names) ? names : [])
      .map(String)
      .filter((n) => /^hljs-[\w-]+$/.test(n))
      .join(' ')
    return { cls, children: node.children.map(convert) }
  }
  return ''
}
