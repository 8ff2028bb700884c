"""What the uploads app tells the apps above it.

Uploads sit below messaging: the send attaches them to a message and copies what clients
show into it. When an attached upload changes later (its thumbnail is made), the message's
copy is stale; the app that keeps it listens here (MessagingConfig.ready)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent with `message_id` inside the transaction, under the room lock, when an upload that
# message carries changed; a receiver's error rolls the change back.
attached_upload_changed = Signal()
