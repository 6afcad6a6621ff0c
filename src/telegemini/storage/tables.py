"""The database schema. Change it only together with a migration in ``migrations/versions``."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# A forum topic is a conversation of its own; 0 stands for "no topic" (keys cannot be NULL).
NO_THREAD = 0

users = Table(
    "users",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("username", String(64), nullable=True),
    Column("first_name", String(256), nullable=False, default=""),
    Column("language_code", String(16), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False),
    Column("tier", String(16), nullable=False, server_default="free"),
    Column("banned", Boolean, nullable=False, server_default=false()),
    Column("allowed", Boolean, nullable=False, server_default=false()),
    Column("verified", Boolean, nullable=False, server_default=false()),
    Column("private_chat", Boolean, nullable=False, server_default=false()),
    Column("blocked_bot", Boolean, nullable=False, server_default=false()),
    Column("notices", String(64), nullable=False, server_default=""),
    Column("username_key", String(64), nullable=True, index=True),  # lower-case, for @lookups
    Column("tier_pinned", Boolean, nullable=False, server_default=false()),  # by /tier
    Column("premium_until", DateTime(timezone=True), nullable=True),  # bought Premium's end
)

conversations = Table(
    "conversations",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("thread_id", BigInteger, primary_key=True, autoincrement=False),
    Column("head_id", String(256), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

transcript_turns = Table(
    "transcript_turns",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("thread_id", BigInteger, nullable=False),
    Column("role", String(8), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_transcript_turns_conversation", "chat_id", "thread_id", "id"),
)

# The durable inbox: every update is written here before Telegram gets its 200, and workers take
# them out in order per conversation. Rows stay (state "done") long enough to refuse a redelivery.
inbox = Table(
    "inbox",
    metadata,
    Column("update_id", BigInteger, primary_key=True, autoincrement=False),
    Column("chat_id", BigInteger, nullable=False),
    Column("thread_id", BigInteger, nullable=False),
    Column("payload", Text, nullable=False),
    Column("media_group", String(64), nullable=True),  # the album the update is a part of
    Column("state", String(12), nullable=False),  # pending | processing | done
    Column("claimed_by", String(64), nullable=True),
    Column("claimed_until", DateTime(timezone=True), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Index("ix_inbox_state_update", "state", "update_id"),
    Index("ix_inbox_chat_state", "chat_id", "thread_id", "state", "update_id"),
)

# Replaced by the inbox (m006); kept so old databases migrate without loss of history.
processed_updates = Table(
    "processed_updates",
    metadata,
    Column("update_id", BigInteger, primary_key=True, autoincrement=False),
    Column("processed_at", DateTime(timezone=True), nullable=False, index=True),
)

# One user's settings in one chat; NULL means "the operator's default".
preferences = Table(
    "preferences",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("mode", String(16), nullable=False, default="assistant"),
    Column("voice_replies", Boolean, nullable=True),
    Column("voice", String(32), nullable=True),
    Column("target_language", String(64), nullable=True),
    Column("ui_language", String(16), nullable=True),
    Column("expressive", Boolean, nullable=False, default=False),
    Column("search", Boolean, nullable=True),
    Column("show_thinking", Boolean, nullable=False, server_default=false()),
    Column("reading", Boolean, nullable=True),  # files and links read (NULL: the operator's)
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Image requests, for their buttons (variant, HD, ratio) and to reuse an identical recent photo.
image_jobs = Table(
    "image_jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("prompt", Text, nullable=False),
    Column("size", String(8), nullable=False),
    Column("aspect_ratio", String(8), nullable=True),
    Column("reference_ids", Text, nullable=False, default=""),
    Column("request_key", String(64), nullable=False, index=True),
    Column("photo_file_id", String(256), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)

# Daily usage per user and quota kind (the day in QUOTA_TIMEZONE, as YYYY-MM-DD).
quota_usage = Table(
    "quota_usage",
    metadata,
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("day", String(10), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("used", Integer, nullable=False, default=0),
)

# Daily counters for /stats: requests by kind, denials, blocks, errors, per user.
activity = Table(
    "activity",
    metadata,
    Column("day", String(10), primary_key=True),
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(48), primary_key=True),
    Column("count", Integer, nullable=False, default=0),
)

captchas = Table(
    "captchas",
    metadata,
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("answer", String(16), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("failures", Integer, nullable=False, default=0),
    Column("cooldown_until", DateTime(timezone=True), nullable=True),
    Column("pending_text", Text, nullable=False, default=""),
)

# Broadcasts an admin asked for and has not confirmed yet: the confirmation works after a restart
# and on any instance, and is taken (deleted) by exactly one of them.
pending_broadcasts = Table(
    "pending_broadcasts",
    metadata,
    Column("token", String(32), primary_key=True),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Clips being filmed by the video model (a background interaction polled until done): stored so
# a restart resumes polling and delivers once. ``owner``/``lease_until``: the instance polling it.
video_jobs = Table(
    "video_jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("thread_id", BigInteger, nullable=False),
    Column("chat_type", String(16), nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("language", String(16), nullable=False),
    Column("prompt", Text, nullable=False),
    Column("aspect_ratio", String(8), nullable=False),
    Column("duration", Integer, nullable=False),
    Column("reference_ids", Text, nullable=False),
    Column("interaction_id", String(256), nullable=True),
    Column("state", String(12), nullable=False),  # running | sending | delivered | failed
    Column("status_message_id", BigInteger, nullable=True),
    Column("day", String(10), nullable=False),  # the quota day charged, for a refund
    Column("charged", Integer, nullable=False),
    Column("owner", String(64), nullable=True),
    Column("lease_until", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Index("ix_video_jobs_state_lease_until", "state", "lease_until"),
    Index("ix_video_jobs_user_id_state", "user_id", "state"),
)

# Stars payments, one row per telegram_payment_charge_id: the primary key makes crediting happen
# once, however often Telegram delivers the payment and however many instances see it.
payments = Table(
    "payments",
    metadata,
    Column("charge_id", String(128), primary_key=True),
    Column("user_id", BigInteger, nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # premium | pack
    Column("stars", Integer, nullable=False),
    Column("images", Integer, nullable=False),  # a pack's images (0 for premium)
    Column("payload", String(128), nullable=False),
    Column("recurring", Boolean, nullable=False),  # a subscription's renewal
    Column("paid_at", DateTime(timezone=True), nullable=False, index=True),
    Column("refunded_at", DateTime(timezone=True), nullable=True),
)

# Images bought in packs and not used yet (they do not expire at midnight).
image_packs = Table(
    "image_packs",
    metadata,
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("images_left", Integer, nullable=False),
)

# A user's Premium subscription: its state (active | canceled | failed), its latest charge, and
# the end of Premium the user was last told about (told once, by one instance).
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("state", String(16), nullable=False),
    Column("charge_id", String(128), nullable=False),
    Column("ended_told", DateTime(timezone=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
