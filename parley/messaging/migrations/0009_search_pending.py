"""Issue 34: on PostgreSQL the send leaves `search_text` NULL for the indexer thread to fill
after the commit; this partial index finds, by room, the messages still waiting (a search
fills its rooms' before answering, the sweep fills the rest). Only waiting rows are in it.

Messages stored before with nothing indexable held NULL; they now hold '' (NULL means "not
indexed yet"), so they are set here and the sweep does not analyse them again.
"""

from django.db import migrations

from parley.common.vendor_sql import VendorSQL
from parley.messaging.search_index import PG_PENDING_DROP, PG_PENDING_INDEX

EMPTY = "UPDATE messaging_message SET search_text = '' WHERE search_text IS NULL AND deleted_at IS NULL"


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0008_summary_coalesced"),
    ]

    operations = [
        VendorSQL(
            {"postgresql": [EMPTY, PG_PENDING_INDEX]},
            reverse={"postgresql": [PG_PENDING_DROP]},
        ),
    ]
