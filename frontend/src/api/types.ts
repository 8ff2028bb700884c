/**
 * Shapes of the REST contract: names over the types generated from
 * docs/api/openapi.yaml (schema.gen.ts, `make protocol`). Nothing here may
 * describe a field of its own; change the server and regenerate.
 */
import type { components } from './schema.gen'

type Schemas = components['schemas']

/**
 * The schema marks every field of a response `readOnly` (the client cannot write
 * it to the server); the stores still update their local copies of rooms and
 * messages, so those drop the `readonly` modifier.
 */
type Local<T> = { -readonly [K in keyof T]: T[K] }

export type User = Schemas['UserOut']
/** The signed-in user's own record (`me`, sign-in answers): a User plus `is_staff`. */
export type SelfUser = Schemas['SelfUserOut']
export type Visibility = Schemas['VisibilityEnum']
export type Room = Local<Schemas['RoomOut']>
export type RetentionPolicy = Schemas['RetentionPolicyOut']
export type RoomExportStatus = Schemas['RoomExportStatusOut']
export type Message = Local<Schemas['MessageOut']>
/** A thread root's replies at a glance (issue 29). */
export type ThreadSummary = Schemas['ThreadSummaryOut']
/** One thread I follow (`GET threads`); local, its unread count moves with live replies. */
export type FollowedThread = Local<Schemas['ThreadItemOut']>
export type ThreadPage = Schemas['ThreadPageOut']
export type Member = Schemas['MemberOut']
export type Avatar = Schemas['AvatarOut']
export type AuthMethods = Schemas['AuthMethodsOut']
export type MySignIn = Schemas['MySignInOut']
export type SignInMethod = Schemas['SignInMethodOut']
export type AuthResult = Schemas['AuthOut']
export type MessagePage = Schemas['MessagePageOut']
export type Reaction = Schemas['ReactionOut']
export type ReplyTo = Schemas['ReplyOut']
export type EventsOut = Schemas['EventsOut']
export type HighlightSegment = Schemas['HighlightSegment']
export type SearchResult = Schemas['SearchResult']
export type SearchOut = Schemas['SearchOut']
/** One entry of `GET saved`: the message and the room it is in. */
export type SavedItem = Schemas['SavedItemOut']
export type SavedPage = Schemas['SavedListOut']
export type RoomCreate = Schemas['RoomCreateInRequest']
export type RoomUpdate = Schemas['PatchedRoomUpdateInRequest']
export type RoomTransfer = Schemas['RoomTransferInRequest']
export type Stats = Schemas['StatsOut']
export type MailSettings = Schemas['MailSettingsOut']
export type MailSettingsUpdate = Schemas['PatchedMailSettingsInRequest']
export type WsTicket = Schemas['WsTicketOut']
export type Ban = Schemas['BanOut']
export type ReportCategory = Schemas['CategoryEnum']
export type ReportAction = Schemas['ActionEnum']
export type ReportCreate = Schemas['ReportInRequest']
export type ReportReceipt = Schemas['ReportOut']
export type StaffReport = Schemas['ReportStaffOut']
export type ReportContext = Schemas['ReportContextOut']
export type ReportQueue = Schemas['ReportQueueOut']
export type ReportResolve = Schemas['ReportResolveInRequest']
export type PasswordChange = Schemas['PasswordChangeInRequest']
/** An uploaded file: the upload answer and each of `message.attachments`. */
export type Attachment = Schemas['AttachmentOut']
/** A card for a link in a message (`message.previews`), filled after the send. */
export type LinkPreview = Schemas['PreviewOut']
export type CustomEmoji = Schemas['EmojiOut']
export type RoomKind = Schemas['RoomOut']['kind']
export type NotifySetting = Schemas['NotifyEnum']
export type MembershipUpdate = Schemas['PatchedMembershipUpdateInRequest']
export type UserSearch = Schemas['UserSearchOut']
export type ReadAll = Schemas['ReadAllOut']
export type CommandInfo = Schemas['CommandOut']
export type IncomingWebhook = Schemas['IncomingOut']
export type IncomingWebhookSecret = Schemas['IncomingSecretOut']
export type OutgoingWebhook = Schemas['OutgoingOut']
export type OutgoingWebhookSecret = Schemas['OutgoingSecretOut']
export type Invite = Schemas['InviteOut']
export type InviteCreate = Schemas['InviteCreateInRequest']
export type InvitePreview = Schemas['InvitePreviewOut']
export type ProfileUpdate = Schemas['PatchedProfileInRequest']
/** `DELETE me`'s body: the password (not for guests) and what becomes of the messages. */
export type AccountDelete = Schemas['AccountDeleteInRequest']
/** A person's status (emoji, text, when it clears), in presence and the own record. */
export type Status = Schemas['StatusOut']
/** Where a person is: `online`, `away`, `dnd` or `offline`, with their status. */
export type UserPresence = Schemas['UserPresenceOut']
export type PresenceState = UserPresence['state']
/** `GET rooms/{id}/reads`: how far the members who share receipts have read. */
export type Reads = Schemas['ReadsOut']
/** A scheduled message or a `/remind me` reminder, as its author sees it. */
export type Scheduled = Schemas['ScheduledOut']
export type ScheduledCreate = Schemas['ScheduledInRequest']
export type ScheduledUpdate = Schemas['PatchedScheduledPatchInRequest']

/** Issue 31: staff's people screen, invitations, the sign-in log. */
export type Person = Local<Schemas['PersonOut']>
export type SignInRow = Schemas['SignInOut']
export type PendingInvitation = Schemas['InvitationOut']
export type MySignIns = Schemas['MySignInsOut']
