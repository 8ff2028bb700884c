/**
 * Avatars are the person's initial on a colour. The colour comes from the
 * avatar key the server stores (fox, owl, ...: names kept for compatibility);
 * each has at least 4.5:1 contrast with the white initial.
 */
export const AVATAR_COLOURS: Readonly<Record<string, { colour: string; name: string }>> = {
  fox: { colour: '#c2410c', name: 'Orange' },
  owl: { colour: '#a16207', name: 'Ochre' },
  cat: { colour: '#7e22ce', name: 'Purple' },
  bear: { colour: '#7c4a1e', name: 'Brown' },
  frog: { colour: '#15803d', name: 'Green' },
  panda: { colour: '#475569', name: 'Slate' },
  whale: { colour: '#1d4ed8', name: 'Blue' },
  tiger: { colour: '#b91c1c', name: 'Red' },
  koala: { colour: '#0f766e', name: 'Teal' },
  otter: { colour: '#be185d', name: 'Pink' },
  robot: { colour: '#4338ca', name: 'Indigo' },
  ghost: { colour: '#4d7c0f', name: 'Olive' },
}
const KEYS = Object.keys(AVATAR_COLOURS)

/** The key in an avatar URL ("/static/avatars/owl.svg", hashed names too), or the text itself. */
export function avatarKey(src: string): string {
  const m = /(?:^|\/)([a-z]+)(?:\.[0-9a-f]+)?\.svg(?:$|[?#])/i.exec(src)
  return (m?.[1] ?? src).toLowerCase()
}

/** The colour for an avatar URL or key; an unknown one still gets a stable colour of the set. */
export function avatarColour(src: string): { colour: string; name: string } {
  const key = avatarKey(src)
  const known = AVATAR_COLOURS[key]
  if (known) return known
  let h = 0
  for (const c of key) h = (h * 31 + c.charCodeAt(0)) >>> 0
  return AVATAR_COLOURS[KEYS[h % KEYS.length]!]!
}

/** The first character a reader sees (a whole emoji or CJK character), upper-cased. */
export function initial(name: string): string {
  const text = name.trim()
  if (!text) return ''
  let first: string | undefined
  if (typeof Intl !== 'undefined' && 'Segmenter' in Intl) {
    first = new Intl.Segmenter().segment(text)[Symbol.iterator]().next().value?.segment
  }
  return (first ?? Array.from(text)[0] ?? '').toLocaleUpperCase()
}
