import { t } from '@/i18n'

/**
 * A person's name as this reader sees it. An account deleted with its messages kept is
 * renamed `_deleted-<id>` (no one can register a name that starts with "_") and shown as
 * "Deleted user" in the reader's language, not in whatever language the server stored.
 */
export function shownName(user: { username?: string; display_name: string }): string {
  return user.username?.startsWith('_deleted-') ? t('message.deletedUser') : user.display_name
}
