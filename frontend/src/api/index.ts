/**
 * The endpoints of /api/v1/ by name. Each goes through the schema-typed client: the path
 * and its parameters are checked against docs/api/openapi.yaml and the answer's type comes
 * from it, so nothing here declares a shape of its own.
 */
import { call, rest } from './client'
import type {
  AccountDelete,
  EventsOut,
  InviteCreate,
  MailSettingsUpdate,
  MembershipUpdate,
  PasswordChange,
  ProfileUpdate,
  ReportCreate,
  ReportResolve,
  RoomCreate,
  RoomExportStatus,
  RoomUpdate,
  ScheduledCreate,
  ScheduledUpdate,
} from './types'
import type { ServerFrame } from '@/realtime/protocol'
import type { components, paths } from './schema.gen'

export * from './client'
export type * from './types'

/** `GET rooms/{id}/events`: the schema says "objects"; they are the protocol's server frames. */
export type EventsPage = Omit<EventsOut, 'events'> & { events: ServerFrame[] }

/** `GET search`'s filters (utils/searchLink builds them). */
export type SearchQuery = Omit<NonNullable<paths['/api/v1/search']['get']['parameters']['query']>, 'cursor'>

/** `GET people`'s filters (staff). */
export type PeopleQuery = NonNullable<paths['/api/v1/people']['get']['parameters']['query']>

/** For the answers that carry nothing (204) or nothing the caller uses. */
function none(): void {}

export const api = {
  /** `time_zone`: the browser's IANA zone (the server stores UTC without it). */
  /** `invitation`: a mailed invitation's token (issue 31): the account takes its address. */
  register: (username: string, password: string, email = '', time_zone?: string, invitation?: string) =>
    call(
      rest.POST('/api/v1/auth/register', {
        body: {
          username,
          password,
          ...(email ? { email } : {}),
          ...(time_zone ? { time_zone } : {}),
          ...(invitation ? { invitation } : {}),
        },
      }),
    ),
  /** How people may join this site (REGISTRATION); the sign-in page reads it. */
  invitation: (token: string) => call(rest.GET('/api/v1/auth/invitations/{token}', { params: { path: { token } } })),
  mySignIns: () => call(rest.GET('/api/v1/me/sign-ins')),
  signOutOthers: () => call(rest.POST('/api/v1/me/sign-out-others')),
  // Staff: people (issue 31).
  people: (q: PeopleQuery) => call(rest.GET('/api/v1/people', { params: { query: q } })),
  deactivatePerson: (id: number) =>
    call(rest.POST('/api/v1/people/{user_id}/deactivate', { params: { path: { user_id: id } } })),
  reactivatePerson: (id: number) =>
    call(rest.POST('/api/v1/people/{user_id}/reactivate', { params: { path: { user_id: id } } })),
  personSignIns: (id: number) => call(rest.GET('/api/v1/people/{user_id}/sign-ins', { params: { path: { user_id: id } } })),
  pendingInvitations: () => call(rest.GET('/api/v1/people/invitations')),
  invitePerson: (email: string, language?: string) =>
    call(rest.POST('/api/v1/people/invitations', { body: { email, ...(language ? { language: language as components['schemas']['LanguageEnum'] } : {}) } })),
  /**
   * Reset someone's second factors (staff). The endpoint comes with two-factor sign-in
   * (`DELETE people/{id}/2fa`); a server without it answers 404, which the caller says.
   */
  resetSecondFactor: (id: number) => call(rest.DELETE(`/api/v1/people/${id}/2fa` as never)).then(none),
  revokeInvitation: (id: number) =>
    call(rest.DELETE('/api/v1/people/invitations/{invitation_id}', { params: { path: { invitation_id: id } } })).then(none),
  login: (username: string, password: string) => call(rest.POST('/api/v1/auth/login', { body: { username, password } })),
  guest: (nickname: string, avatar?: string, time_zone?: string) =>
    call(rest.POST('/api/v1/auth/guest', { body: { nickname, ...(avatar ? { avatar } : {}), ...(time_zone ? { time_zone } : {}) } })),
  logout: () => call(rest.POST('/api/v1/auth/logout')).then(none),
  avatars: () => call(rest.GET('/api/v1/auth/avatars')),
  /** How this server signs people in: password, registration, the organisation's SSO (OIDC_NAME). */
  authMethods: () => call(rest.GET('/api/v1/auth/methods')),
  me: () => call(rest.GET('/api/v1/me'), { quiet401: true }),
  /** One-time ticket for `/ws/?ticket=`; the socket handles a 401 itself (signed out). */
  wsTicket: () => call(rest.POST('/api/v1/auth/ws-ticket'), { quiet401: true }),
  /** Always 202: the answer does not say whether an account matched. */
  passwordReset: (login: string) => call(rest.POST('/api/v1/auth/password-reset', { body: { login } })).then(none),
  passwordResetConfirm: (token: string, new_password: string) =>
    call(rest.POST('/api/v1/auth/password-reset/confirm', { body: { token, new_password } })).then(none),
  verifyEmail: (token: string) => call(rest.POST('/api/v1/auth/verify-email', { body: { token } })),
  mailSettings: () => call(rest.GET('/api/v1/me/mail')),
  updateMailSettings: (data: MailSettingsUpdate) => call(rest.PATCH('/api/v1/me/mail', { body: data })),
  resendVerification: () => call(rest.POST('/api/v1/me/mail/verification')).then(none),
  /** Ends the account's other sessions and tokens; this one stays signed in. */
  /** How I sign in: password, the organisation's IdP, its directory (whose password is changed there). */
  mySignIn: () => call(rest.GET('/api/v1/me/sign-in')),
  changePassword: (data: PasswordChange) => call(rest.POST('/api/v1/me/password', { body: data })).then(none),

  rooms: (joined?: boolean) => call(rest.GET('/api/v1/rooms', { params: { query: { joined } } })),
  room: (id: number) => call(rest.GET('/api/v1/rooms/{room_id}', { params: { path: { room_id: id } } })),
  createRoom: (data: RoomCreate) => call(rest.POST('/api/v1/rooms', { body: data })),
  updateRoom: (id: number, data: RoomUpdate) =>
    call(rest.PATCH('/api/v1/rooms/{room_id}', { params: { path: { room_id: id } }, body: data })),
  transferRoom: (id: number, userId: number) =>
    call(rest.POST('/api/v1/rooms/{room_id}/transfer', { params: { path: { room_id: id } }, body: { user_id: userId } })),
  closeRoom: (id: number) => call(rest.DELETE('/api/v1/rooms/{room_id}', { params: { path: { room_id: id } } })).then(none),
  joinRoom: (id: number) => call(rest.POST('/api/v1/rooms/{room_id}/join', { params: { path: { room_id: id } } })),
  leaveRoom: (id: number) => call(rest.POST('/api/v1/rooms/{room_id}/leave', { params: { path: { room_id: id } } })),
  members: (id: number) => call(rest.GET('/api/v1/rooms/{room_id}/members', { params: { path: { room_id: id } } })),
  addMember: (id: number, username: string) =>
    call(rest.POST('/api/v1/rooms/{room_id}/members', { params: { path: { room_id: id } }, body: { username } })),
  removeMember: (id: number, userId: number) =>
    call(rest.DELETE('/api/v1/rooms/{room_id}/members/{user_id}', { params: { path: { room_id: id, user_id: userId } } })).then(none),
  /** Mute for `duration` seconds, or until lifted when null (owner or staff). */
  mute: (id: number, userId: number, duration: number | null) =>
    call(rest.POST('/api/v1/rooms/{room_id}/mutes/{user_id}', { params: { path: { room_id: id, user_id: userId } }, body: { duration } })),
  unmute: (id: number, userId: number) =>
    call(rest.DELETE('/api/v1/rooms/{room_id}/mutes/{user_id}', { params: { path: { room_id: id, user_id: userId } } })).then(none),
  bans: (id: number) => call(rest.GET('/api/v1/rooms/{room_id}/bans', { params: { path: { room_id: id } } })),
  ban: (id: number, userId: number, reason = '') =>
    call(rest.POST('/api/v1/rooms/{room_id}/bans/{user_id}', { params: { path: { room_id: id, user_id: userId } }, body: { reason } })),
  unban: (id: number, userId: number) =>
    call(rest.DELETE('/api/v1/rooms/{room_id}/bans/{user_id}', { params: { path: { room_id: id, user_id: userId } } })).then(none),
  /** The direct message of these people (the caller implied): 201 made, 200 found. */
  openDm: (userIds: number[]) => call(rest.POST('/api/v1/dms', { body: { user_ids: userIds } })),
  updateMembership: (id: number, data: MembershipUpdate) =>
    call(rest.PATCH('/api/v1/rooms/{room_id}/membership', { params: { path: { room_id: id } }, body: data })),
  readAll: () => call(rest.POST('/api/v1/rooms/read-all')),
  users: (q: string, limit = 10) => call(rest.GET('/api/v1/users', { params: { query: { q, limit } } })),

  messages: (id: number, q: { before_seq?: number; after_seq?: number; around_seq?: number; limit?: number } = {}) =>
    call(rest.GET('/api/v1/rooms/{room_id}/messages', { params: { path: { room_id: id }, query: q } })),
  sendMessage: (id: number, body: string, client_id: string, reply_to?: number | null) =>
    call(
      rest.POST('/api/v1/rooms/{room_id}/messages', {
        params: { path: { room_id: id } },
        body: reply_to ? { body, client_id, reply_to } : { body, client_id },
      }),
    ),
  editMessage: (id: number, body: string) =>
    call(rest.PATCH('/api/v1/messages/{message_id}', { params: { path: { message_id: id } }, body: { body } })),
  deleteMessage: (id: number) => call(rest.DELETE('/api/v1/messages/{message_id}', { params: { path: { message_id: id } } })).then(none),
  react: (id: number, emoji: string) =>
    call(rest.POST('/api/v1/messages/{message_id}/reactions/{emoji}', { params: { path: { message_id: id, emoji } } })),
  unreact: (id: number, emoji: string) =>
    call(rest.DELETE('/api/v1/messages/{message_id}/reactions/{emoji}', { params: { path: { message_id: id, emoji } } })),
  pin: (id: number) => call(rest.POST('/api/v1/messages/{message_id}/pin', { params: { path: { message_id: id } } })),
  unpin: (id: number) => call(rest.DELETE('/api/v1/messages/{message_id}/pin', { params: { path: { message_id: id } } })),
  /** A room's pinned messages, most recently pinned first. */
  pins: (roomId: number) => call(rest.GET('/api/v1/rooms/{room_id}/pins', { params: { path: { room_id: roomId } } })),
  save: (id: number) => call(rest.POST('/api/v1/messages/{message_id}/save', { params: { path: { message_id: id } } })),
  unsave: (id: number) => call(rest.DELETE('/api/v1/messages/{message_id}/save', { params: { path: { message_id: id } } })),
  /** My saved messages, newest saved first; `cursor` is the previous page's `next_cursor`. */
  saved: (cursor?: string | null, limit = 20) =>
    call(rest.GET('/api/v1/saved', { params: { query: cursor ? { cursor, limit } : { limit } } })),
  /** A thread (issue 29): its root and a page of replies in seq order, with my read marker in it. */
  thread: (rootId: number, q: { after_seq?: number; before_seq?: number; limit?: number } = {}) =>
    call(rest.GET('/api/v1/messages/{message_id}/thread', { params: { path: { message_id: rootId }, query: q } })),
  /** Read a thread up to `seq` (its replies leave the Threads badge; mentions in it too). */
  readThread: (rootId: number, seq: number) =>
    call(rest.POST('/api/v1/messages/{message_id}/thread/read', { params: { path: { message_id: rootId } }, body: { seq } })),
  follow: (rootId: number) => call(rest.POST('/api/v1/messages/{message_id}/follow', { params: { path: { message_id: rootId } } })),
  unfollow: (rootId: number) => call(rest.DELETE('/api/v1/messages/{message_id}/follow', { params: { path: { message_id: rootId } } })),
  /** The threads I follow, newest reply first, with their unread replies. */
  threads: (limit?: number) => call(rest.GET('/api/v1/threads', { params: { query: { limit } } })),
  markRead: (id: number, seq: number) =>
    call(rest.POST('/api/v1/rooms/{room_id}/read', { params: { path: { room_id: id } }, body: { seq } })).then(none),
  events: (id: number, after_seq: number, limit = 100): Promise<EventsPage> =>
    call(rest.GET('/api/v1/rooms/{room_id}/events', { params: { path: { room_id: id }, query: { after_seq, limit } } })).then(
      (page) => page as unknown as EventsPage,
    ),

  /** `params` from `searchParams` (utils/searchLink); `cursor` is the previous page's `next_cursor`. */
  search: (params: SearchQuery, cursor?: string | null) =>
    call(rest.GET('/api/v1/search', { params: { query: cursor ? { ...params, cursor } : params } })),

  /** The search's "From" choices: the people of my rooms (or of `room`) whose name holds `q`. */
  searchSenders: (q: string, room?: number, limit = 8) =>
    call(rest.GET('/api/v1/search/senders', { params: { query: { q, room, limit } } })),
  stats: () => call(rest.GET('/api/v1/stats')),

  report: (messageId: number, data: ReportCreate) =>
    call(rest.POST('/api/v1/messages/{message_id}/reports', { params: { path: { message_id: messageId } }, body: data })),
  reports: (q: { status?: 'open' | 'resolved'; cursor?: string | null; limit?: number } = {}) =>
    // The queue's `next_cursor` is a string of the report id; its `cursor` parameter an integer.
    call(rest.GET('/api/v1/reports', { params: { query: { ...q, cursor: q.cursor ? Number(q.cursor) : undefined } } })),
  /** Staff: the reported message among its neighbours, read-only, in any room (member or not). */
  reportContext: (id: number) => call(rest.GET('/api/v1/reports/{report_id}/context', { params: { path: { report_id: id } } })),
  resolveReport: (id: number, data: ReportResolve) =>
    call(rest.POST('/api/v1/reports/{report_id}/resolve', { params: { path: { report_id: id } }, body: data })),
  commands: (id: number) => call(rest.GET('/api/v1/rooms/{room_id}/commands', { params: { path: { room_id: id } } })),
  webhooks: (id: number) => call(rest.GET('/api/v1/rooms/{room_id}/webhooks', { params: { path: { room_id: id } } })),
  createWebhook: (id: number, name: string) =>
    call(rest.POST('/api/v1/rooms/{room_id}/webhooks', { params: { path: { room_id: id } }, body: { name } })),
  rotateWebhook: (hookId: number) => call(rest.POST('/api/v1/webhooks/{hook_id}/rotate', { params: { path: { hook_id: hookId } } })),
  revokeWebhook: (hookId: number) =>
    call(rest.DELETE('/api/v1/webhooks/{hook_id}', { params: { path: { hook_id: hookId } } })).then(none),
  outgoingWebhooks: (id: number) =>
    call(rest.GET('/api/v1/rooms/{room_id}/outgoing-webhooks', { params: { path: { room_id: id } } })),
  createOutgoingWebhook: (id: number, data: { name: string; url: string; triggers: string[] }) =>
    call(rest.POST('/api/v1/rooms/{room_id}/outgoing-webhooks', { params: { path: { room_id: id } }, body: data })),
  deleteOutgoingWebhook: (hookId: number) =>
    call(rest.DELETE('/api/v1/outgoing-webhooks/{hook_id}', { params: { path: { hook_id: hookId } } })).then(none),
  invites: (roomId: number) => call(rest.GET('/api/v1/rooms/{room_id}/invites', { params: { path: { room_id: roomId } } })),
  createInvite: (roomId: number, data: InviteCreate) =>
    call(rest.POST('/api/v1/rooms/{room_id}/invites', { params: { path: { room_id: roomId } }, body: data })),
  revokeInvite: (token: string) => call(rest.DELETE('/api/v1/invites/{token}', { params: { path: { token } } })).then(none),
  /** Works signed out too; 410 (expired, revoked, used up) is the caller's to show. */
  invite: (token: string) => call(rest.GET('/api/v1/invites/{token}', { params: { path: { token } } }), { quiet401: true }),
  acceptInvite: (token: string) => call(rest.POST('/api/v1/invites/{token}/accept', { params: { path: { token } } })),

  /** The zones the profile's picker offers: each once, with region, city and ISO country. */
  timeZones: () => call(rest.GET('/api/v1/time-zones')),
  updateProfile: (data: ProfileUpdate) => call(rest.PATCH('/api/v1/me', { body: data })),
  /** Read receipts of a room (`minSeq`: only who read that far, a message's "seen by"). */
  reads: (roomId: number, minSeq?: number) =>
    call(rest.GET('/api/v1/rooms/{room_id}/reads', { params: { path: { room_id: roomId }, query: { min_seq: minSeq } } })),
  uploadAvatar: (file: Blob) =>
    call(
      rest.POST('/api/v1/me/avatar', {
        // The schema types the binary part as a string; the multipart body is built here.
        body: { file: file as unknown as string },
        bodySerializer: (b) => {
          const form = new FormData()
          form.append('file', b.file as unknown as Blob, 'avatar.png')
          return form
        },
      }),
    ),
  deleteAccount: (data: AccountDelete) => call(rest.DELETE('/api/v1/me', { body: data })).then(none),

  /** The author takes one card off their message (`message.updated` follows for everyone). */
  removePreview: (messageId: number, index: number) =>
    call(rest.DELETE('/api/v1/messages/{message_id}/previews/{index}', { params: { path: { message_id: messageId, index } } })),
  customEmoji: () => call(rest.GET('/api/v1/emoji')),
  addCustomEmoji: (name: string, file: Blob, filename: string) =>
    call(
      rest.POST('/api/v1/emoji', {
        // The schema types the binary part as a string; the multipart body is built here.
        body: { name, file: file as unknown as string },
        bodySerializer: (b) => {
          const form = new FormData()
          form.append('name', b.name)
          form.append('file', b.file as unknown as Blob, filename)
          return form
        },
      }),
    ),
  deleteCustomEmoji: (name: string) => call(rest.DELETE('/api/v1/emoji/{name}', { params: { path: { name } } })).then(none),
  /**
   * A room's export (owner or staff): its progress while the server's job builds it (202), or
   * 'ready' (200) once it is built. The file itself is not read here: the browser downloads it
   * from `roomExportUrl` (a room's history may be larger than a tab should hold).
   */
  roomExport: async (id: number, files: boolean): Promise<RoomExportStatus | 'ready'> => {
    const pending = rest.GET('/api/v1/rooms/{room_id}/export', {
      params: { path: { room_id: id }, query: { files } },
      parseAs: 'stream',
    })
    const body = await call(pending)
    const { response } = await pending
    if (response.status === 202) return JSON.parse(await new Response(body).text()) as RoomExportStatus
    await body?.cancel()
    return 'ready'
  },
  roomExportUrl: (id: number, files: boolean) => `/api/v1/rooms/${id}/export${files ? '?files=true' : ''}`,
  /** "Send later": posted in the room as me at `send_at` (an ISO time with its offset). */
  schedule: (roomId: number, data: ScheduledCreate) =>
    call(rest.POST('/api/v1/rooms/{room_id}/scheduled', { params: { path: { room_id: roomId } }, body: data })),
  scheduled: () => call(rest.GET('/api/v1/scheduled')),
  updateScheduled: (id: number, data: ScheduledUpdate) =>
    call(rest.PATCH('/api/v1/scheduled/{scheduled_id}', { params: { path: { scheduled_id: id } }, body: data })),
  cancelScheduled: (id: number) => call(rest.DELETE('/api/v1/scheduled/{scheduled_id}', { params: { path: { scheduled_id: id } } })),
}

export type Api = typeof api
