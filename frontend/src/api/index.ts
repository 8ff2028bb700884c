/** Typed endpoints of /api/v1/. */
import { http } from './client'
import type {
  AuthResult,
  Avatar,
  Ban,
  CommandInfo,
  Invite,
  InviteCreate,
  InvitePreview,
  ProfileUpdate,
  AccountDelete,
  EventsOut,
  IncomingWebhook,
  IncomingWebhookSecret,
  MailSettings,
  MailSettingsUpdate,
  Member,
  MembershipUpdate,
  Message,
  MessagePage,
  PasswordChange,
  ReadAll,
  OutgoingWebhook,
  OutgoingWebhookSecret,
  Reaction,
  ReportCreate,
  ReportQueue,
  ReportReceipt,
  ReportResolve,
  Room,
  RoomCreate,
  RoomTransfer,
  RoomUpdate,
  SearchOut,
  SelfUser,
  StaffReport,
  Stats,
  UserSearch,
  WsTicket,
} from './types'
import type { ServerFrame } from '@/realtime/protocol'

export * from './client'
export type * from './types'

/** `GET rooms/{id}/events`: the schema says "objects"; they are the protocol's server frames. */
export type EventsPage = Omit<EventsOut, 'events'> & { events: ServerFrame[] }

export const api = {
  register: (username: string, password: string, email = '') =>
    http.post<AuthResult>('auth/register', email ? { username, password, email } : { username, password }),
  login: (username: string, password: string) =>
    http.post<AuthResult>('auth/login', { username, password }),
  guest: (nickname: string, avatar?: string) =>
    http.post<AuthResult>('auth/guest', avatar ? { nickname, avatar } : { nickname }),
  logout: () => http.post<void>('auth/logout'),
  avatars: () => http.get<{ avatars: Avatar[] }>('auth/avatars'),
  me: () => http.get<{ user: SelfUser }>('me', undefined, { quiet401: true }),
  /** One-time ticket for `/ws/?ticket=`; the socket handles a 401 itself (signed out). */
  wsTicket: () => http.post<WsTicket>('auth/ws-ticket', undefined, { quiet401: true }),
  /** Always 202: the answer does not say whether an account matched. */
  passwordReset: (login: string) => http.post<void>('auth/password-reset', { login }),
  passwordResetConfirm: (token: string, new_password: string) =>
    http.post<void>('auth/password-reset/confirm', { token, new_password }),
  verifyEmail: (token: string) => http.post<MailSettings>('auth/verify-email', { token }),
  mailSettings: () => http.get<MailSettings>('me/mail'),
  updateMailSettings: (data: MailSettingsUpdate) => http.patch<MailSettings>('me/mail', data),
  resendVerification: () => http.post<void>('me/mail/verification'),
  /** Ends the account's other sessions and tokens; this one stays signed in. */
  changePassword: (data: PasswordChange) => http.post<void>('me/password', data),

  rooms: (joined?: boolean) =>
    http.get<Room[]>('rooms', joined === undefined ? undefined : { joined }),
  room: (id: number) => http.get<Room>(`rooms/${id}`),
  createRoom: (data: RoomCreate) => http.post<Room>('rooms', data),
  updateRoom: (id: number, data: RoomUpdate) => http.patch<Room>(`rooms/${id}`, data),
  transferRoom: (id: number, userId: number) =>
    http.post<Room>(`rooms/${id}/transfer`, { user_id: userId } satisfies RoomTransfer),
  closeRoom: (id: number) => http.del<void>(`rooms/${id}`),
  joinRoom: (id: number) => http.post<Room>(`rooms/${id}/join`),
  leaveRoom: (id: number) => http.post<Room>(`rooms/${id}/leave`),
  members: (id: number) => http.get<{ members: Member[] }>(`rooms/${id}/members`),
  addMember: (id: number, username: string) =>
    http.post<unknown>(`rooms/${id}/members`, { username }),
  removeMember: (id: number, userId: number) => http.del<void>(`rooms/${id}/members/${userId}`),
  /** Mute for `duration` seconds, or until lifted when null (owner or staff). */
  mute: (id: number, userId: number, duration: number | null) =>
    http.post<Member>(`rooms/${id}/mutes/${userId}`, { duration }),
  unmute: (id: number, userId: number) => http.del<void>(`rooms/${id}/mutes/${userId}`),
  bans: (id: number) => http.get<{ bans: Ban[] }>(`rooms/${id}/bans`),
  ban: (id: number, userId: number) => http.post<Ban>(`rooms/${id}/bans/${userId}`, {}),
  unban: (id: number, userId: number) => http.del<void>(`rooms/${id}/bans/${userId}`),
  /** The direct message of these people (the caller implied): 201 made, 200 found. */
  openDm: (userIds: number[]) => http.post<Room>('dms', { user_ids: userIds }),
  updateMembership: (id: number, data: MembershipUpdate) => http.patch<Room>(`rooms/${id}/membership`, data),
  readAll: () => http.post<ReadAll>('rooms/read-all'),
  users: (q: string, limit = 10) => http.get<UserSearch>('users', { q, limit }),

  messages: (
    id: number,
    q: { before_seq?: number; after_seq?: number; around_seq?: number; limit?: number } = {},
  ) => http.get<MessagePage>(`rooms/${id}/messages`, q),
  sendMessage: (id: number, body: string, client_id: string, reply_to?: number | null) =>
    http.post<Message>(`rooms/${id}/messages`, reply_to ? { body, client_id, reply_to } : { body, client_id }),
  editMessage: (id: number, body: string) => http.patch<Message>(`messages/${id}`, { body }),
  deleteMessage: (id: number) => http.del<void>(`messages/${id}`),
  react: (id: number, emoji: string) =>
    http.post<{ reactions: Reaction[] }>(`messages/${id}/reactions/${encodeURIComponent(emoji)}`),
  unreact: (id: number, emoji: string) =>
    http.del<{ reactions: Reaction[] }>(`messages/${id}/reactions/${encodeURIComponent(emoji)}`),
  markRead: (id: number, seq: number) => http.post<void>(`rooms/${id}/read`, { seq }),
  events: (id: number, after_seq: number, limit = 100) =>
    http.get<EventsPage>(`rooms/${id}/events`, { after_seq, limit }),

  /** `params` from `searchParams` (utils/searchLink); `cursor` is the previous page's `next_cursor`. */
  search: (params: Record<string, string | number>, cursor?: string | null) =>
    http.get<SearchOut>('search', cursor ? { ...params, cursor } : params),

  stats: () => http.get<Stats>('stats'),

  report: (messageId: number, data: ReportCreate) => http.post<ReportReceipt>(`messages/${messageId}/reports`, data),
  reports: (q: { status?: 'open' | 'resolved'; cursor?: string | null; limit?: number } = {}) =>
    http.get<ReportQueue>('reports', q),
  resolveReport: (id: number, data: ReportResolve) => http.post<StaffReport>(`reports/${id}/resolve`, data),
  commands: (id: number) => http.get<CommandInfo[]>(`rooms/${id}/commands`),
  webhooks: (id: number) => http.get<IncomingWebhook[]>(`rooms/${id}/webhooks`),
  createWebhook: (id: number, name: string) => http.post<IncomingWebhookSecret>(`rooms/${id}/webhooks`, { name }),
  rotateWebhook: (hookId: number) => http.post<IncomingWebhookSecret>(`webhooks/${hookId}/rotate`),
  revokeWebhook: (hookId: number) => http.del<void>(`webhooks/${hookId}`),
  outgoingWebhooks: (id: number) => http.get<OutgoingWebhook[]>(`rooms/${id}/outgoing-webhooks`),
  createOutgoingWebhook: (id: number, data: { name: string; url: string; triggers: string[] }) =>
    http.post<OutgoingWebhookSecret>(`rooms/${id}/outgoing-webhooks`, data),
  deleteOutgoingWebhook: (hookId: number) => http.del<void>(`outgoing-webhooks/${hookId}`),
  invites: (roomId: number) => http.get<{ invites: Invite[] }>(`rooms/${roomId}/invites`),
  createInvite: (roomId: number, data: InviteCreate) => http.post<Invite>(`rooms/${roomId}/invites`, data),
  revokeInvite: (token: string) => http.del<void>(`invites/${encodeURIComponent(token)}`),
  /** Works signed out too; 410 (expired, revoked, used up) is the caller's to show. */
  invite: (token: string) =>
    http.get<InvitePreview>(`invites/${encodeURIComponent(token)}`, undefined, { quiet401: true }),
  acceptInvite: (token: string) => http.post<Room>(`invites/${encodeURIComponent(token)}/accept`),

  updateProfile: (data: ProfileUpdate) => http.patch<{ user: SelfUser }>('me', data),
  uploadAvatar: (file: Blob) => {
    const form = new FormData()
    form.append('file', file, 'avatar.png')
    return http.post<{ user: SelfUser }>('me/avatar', form)
  },
  deleteAccount: (data: AccountDelete) => http.del<void>('me', data),
}

export type Api = typeof api
