/** Shapes of the public REST contract v1 (see DESIGN.md). */

export interface User {
  id: number
  username: string
  display_name: string
  avatar: string
  is_guest: boolean
}

export type Visibility = 'public' | 'private'

export interface Room {
  id: number
  name: string
  topic: string
  visibility: Visibility
  owner: User
  member_count: number
  online_count: number
  is_member: boolean
  unread_count: number
  last_seq: number
  closed: boolean
}

export interface Message {
  id: number
  room: number
  seq: number
  sender: User
  body: string
  created_at: string
  edited_at: string | null
  client_id: string
}

export interface Member {
  user: User
  is_owner: boolean
  online: boolean
}

export interface Avatar {
  key: string
  url: string
}

export interface AuthResult {
  user: User
  token?: string
}

export interface MessagePage {
  messages: Message[]
  has_more: boolean
}

export interface HighlightSegment {
  text: string
  match: boolean
}

export interface SearchResult {
  message: Message
  highlight: HighlightSegment[]
}
