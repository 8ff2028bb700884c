/**
 * Server frames for tests, taken from the frames the server really sent
 * (realtime/__fixtures__/server-frames.json, captured by
 * parley/realtime/tests/test_client_fixtures.py). A test changes only what it is
 * about (ids, seqs, users); every other field is what the server sends.
 */
import captured from '@/realtime/__fixtures__/server-frames.json'
import type { ServerFrame, ServerFrameOf } from '@/realtime/protocol'

/** `ack`, `ack:duplicate`, `error:room_ref`, ...: a frame type and, after a colon, a variant. */
export type FixtureName = keyof typeof captured.frames
type TypeOf<N extends string> = N extends `${infer T}:${string}` ? T : N
export type FixtureFrame<N extends FixtureName> = ServerFrameOf<Extract<TypeOf<N>, ServerFrame['type']>>

/** A fresh copy of the captured frame `name`, with `over` laid on top. */
export function serverFrame<N extends FixtureName>(name: N, over: Partial<FixtureFrame<N>> = {}): FixtureFrame<N> {
  const frame = structuredClone(captured.frames[name]) as unknown as FixtureFrame<N>
  return { ...frame, ...over }
}

/** Every captured frame with its name (for tests that go through all of them). */
export function allServerFrames(): Array<[FixtureName, ServerFrame]> {
  return (Object.keys(captured.frames) as FixtureName[]).map((name) => [name, serverFrame(name)])
}
