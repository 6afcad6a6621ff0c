"""Operator control from inside Telegram: /ban /unban /tier /allow /stats /broadcast, and
/refund while Stars are sold (``core/refunds.py``).

Every command (and every button of theirs) checks that the caller is an admin on each use.
A target is a numeric id, an @username the bot has seen, or the author of the replied message.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from telegemini.core.buttons import BroadcastPress
from telegemini.core.guards import Guard
from telegemini.core.i18n import Translator
from telegemini.core.images import CAPTION_LIMIT
from telegemini.core.models import (
    Button,
    DailySeries,
    IncomingCallback,
    IncomingMessage,
    OutgoingPhoto,
    Reply,
    Tier,
    UserRecord,
    UserRef,
)
from telegemini.core.ports import ChartRenderer, ChatOutput, Messenger, Store
from telegemini.core.refunds import refund, stats_lines
from telegemini.core.shop import Shop
from telegemini.core.text import clip_utf16, utf16_len

log = logging.getLogger(__name__)

CHART_KINDS = ("messages", "voice", "images", "hd_images")
Spawn = Callable[[Awaitable[None]], object]
TEXT_LIMIT = 4096  # UTF-16 code units in one Telegram message


@dataclass(frozen=True, slots=True)
class Stats:
    active: tuple[int, int, int]  # today, 7 days, 30 days
    totals: dict[str, int]  # by kind over 30 days
    top_users: list[tuple[int, int]]  # (user id, requests), most first
    series: DailySeries  # the last 14 days by kind


def summarize(rows: list[tuple[str, int, str, int]], today: date) -> Stats:
    """Figures for /stats from the daily activity counters."""
    day = today.isoformat()
    week = (today - timedelta(days=6)).isoformat()
    active: dict[str, set[int]] = {"today": set(), "week": set(), "month": set()}
    totals: Counter[str] = Counter()
    per_user: Counter[int] = Counter()
    days = tuple((today - timedelta(days=n)).isoformat() for n in range(13, -1, -1))
    by_day: dict[str, Counter[str]] = {d: Counter() for d in days}
    for row_day, user_id, kind, count in rows:
        totals[kind] += count
        if kind == "active":
            active["month"].add(user_id)
            if row_day >= week:
                active["week"].add(user_id)
            if row_day == day:
                active["today"].add(user_id)
        if kind in CHART_KINDS:
            per_user[user_id] += count
            if row_day in by_day:
                by_day[row_day][kind] += count
    series = {kind: tuple(by_day[d][kind] for d in days) for kind in CHART_KINDS}
    return Stats(
        active=(len(active["today"]), len(active["week"]), len(active["month"])),
        totals=dict(totals),
        top_users=per_user.most_common(5),
        series=DailySeries(days=days, series=series),
    )


class AdminDesk:
    def __init__(
        self,
        store: Store,
        guard: Guard,
        charts: ChartRenderer | None,
        messenger: Messenger | None,
        spawn: Spawn,
        shop: Shop | None = None,
    ) -> None:
        self._shop = shop
        self._store = store
        self._guard = guard
        self._charts = charts
        self._messenger = messenger
        self._spawn = spawn

    def attach(self, messenger: Messenger) -> None:
        self._messenger = messenger

    async def run(
        self, message: IncomingMessage, name: str, args: str, out: ChatOutput, t: Translator
    ) -> None:
        if not self._guard.is_admin(message.user.id):
            await out.send(Reply(t("admin.only"), markdown=False))
            return
        if name == "stats":
            await self._stats(out, t)
        elif name == "broadcast":
            await self._ask_broadcast(args, out, t)
        elif name == "refund":
            await self._refund(message, args, out, t)
        else:
            await self._change_user(message, name, args, out, t)

    async def _change_user(
        self, message: IncomingMessage, name: str, args: str, out: ChatOutput, t: Translator
    ) -> None:
        words = args.split()
        target = await self._target(message, words[0] if words else None)
        if target is None:
            await out.send(Reply(t(f"admin.usage_{name}"), markdown=False))
            return
        if name == "tier":
            value = words[1] if len(words) > 1 else words[0] if message.reply_to_user else ""
            if value.lower() == "reset":  # purchases decide again
                await self._store.save_user(replace(target, tier=Tier.FREE, tier_pinned=False))
                who = f"@{target.username}" if target.username else str(target.id)
                await out.send(Reply(t("shop.tier_reset", who=who), markdown=False))
                return
            if value.lower() not in {tier.value for tier in Tier}:
                await out.send(Reply(t("admin.usage_tier"), markdown=False))
                return
            changed = replace(target, tier=Tier(value.lower()), tier_pinned=True)
        elif name == "ban":
            changed = replace(target, banned=True, notices=target.notices - {"banned"})
        elif name == "unban":
            changed = replace(target, banned=False)
        else:  # allow
            changed = replace(target, allowed=True, notices=target.notices - {"denied"})
        await self._store.save_user(changed)
        who = f"@{target.username}" if target.username else str(target.id)
        await out.send(
            Reply(t(f"admin.done_{name}", who=who, tier=changed.tier.value), markdown=False)
        )

    async def _target(self, message: IncomingMessage, word: str | None) -> UserRecord | None:
        if word and word.lstrip("-").isdigit() and not message.reply_to_user:
            user_id = int(word)
            return await self._store.load_user(user_id) or UserRecord(id=user_id)
        if word and word.startswith("@"):
            return await self._store.find_user(word)
        if message.reply_to_user is not None:
            replied: UserRef = message.reply_to_user
            return await self._store.remember_user(replied)
        return None

    # --- /stats -----------------------------------------------------------------------------

    async def _stats(self, out: ChatOutput, t: Translator) -> None:
        today = self._guard.now().date()
        rows = await self._store.activity_rows(
            (today - timedelta(days=29)).isoformat(), today.isoformat()
        )
        stats = summarize(rows, today)
        totals = stats.totals
        lines = [
            t(
                "admin.stats_active",
                today=stats.active[0],
                week=stats.active[1],
                month=stats.active[2],
            ),
            t(
                "admin.stats_requests",
                messages=totals.get("messages", 0),
                voice=totals.get("voice", 0),
                images=totals.get("images", 0),
                hd=totals.get("hd_images", 0),
            ),
            t(
                "admin.stats_refusals",
                quota=totals.get("quota_denied", 0),
                moderation=totals.get("moderation", 0),
                errors=sum(n for k, n in totals.items() if k.startswith("error")),
            ),
        ]
        if stats.top_users:
            top = ", ".join(f"{user} ({count})" for user, count in stats.top_users)
            lines.append(t("admin.stats_top", users=top))
        if self._shop is not None:
            lines += await stats_lines(self._shop, self._guard.now(), t)
        text = "\n".join(lines)
        if self._charts is None:
            await out.send(Reply(text, markdown=False))
            return
        png = await self._charts.daily_chart(stats.series, title=t("admin.stats_chart"))
        await out.send_photo(OutgoingPhoto(data=png, caption=clip_utf16(text, CAPTION_LIMIT)))

    # --- /refund ----------------------------------------------------------------------------

    async def _refund(
        self, message: IncomingMessage, args: str, out: ChatOutput, t: Translator
    ) -> None:
        words = args.split()
        target = await self._target(message, words[0] if words else None)
        if target is None or self._shop is None:
            await out.send(Reply(t("shop.refund_usage"), markdown=False))
            return
        charge = words[1] if len(words) > 1 else None
        if message.reply_to_user is not None and words and not words[0].lstrip("-").isdigit():
            charge = words[0]  # replying: /refund <charge>
        await out.send(Reply(await refund(self._shop, target, charge, t), markdown=False))

    # --- /broadcast -------------------------------------------------------------------------

    async def _ask_broadcast(self, text: str, out: ChatOutput, t: Translator) -> None:
        if not text.strip():
            await out.send(Reply(t("admin.usage_broadcast"), markdown=False))
            return
        length = utf16_len(text.strip())
        if length > TEXT_LIMIT:  # measured as Telegram measures it
            reply = t("admin.broadcast_too_long", length=length, limit=TEXT_LIMIT)
            await out.send(Reply(reply, markdown=False))
            return
        targets = await self._store.broadcast_targets()
        confirmation = secrets.token_urlsafe(6)
        await self._store.save_broadcast(confirmation, text.strip())
        buttons = (
            (
                Button(
                    t("admin.broadcast_send", count=len(targets)),
                    BroadcastPress(send=True, token=confirmation),
                ),
                Button(t("admin.broadcast_cancel"), BroadcastPress(send=False, token=confirmation)),
            ),
        )
        preview = t("admin.broadcast_confirm", count=len(targets), text=text.strip())
        await out.send(Reply(preview, markdown=False, buttons=buttons))

    async def button(
        self, press: BroadcastPress, callback: IncomingCallback, out: ChatOutput, t: Translator
    ) -> None:
        if not self._guard.is_admin(callback.user.id):
            await out.answer_callback(t("admin.only"))
            return
        text = await self._store.take_broadcast(press.token)
        if text is None:  # cancelled, sent already (by any instance), or a day old
            await out.answer_callback(t("callback.invalid"))
            return
        if not press.send:
            await out.edit(
                callback.message_id, Reply(t("admin.broadcast_cancelled"), markdown=False)
            )
            await out.answer_callback(None)
            return
        await out.edit(callback.message_id, Reply(t("admin.broadcast_started"), markdown=False))
        await out.answer_callback(None)
        self._spawn(self._broadcast(text, callback.chat.id, t))

    async def _broadcast(self, text: str, report_to: int, t: Translator) -> None:
        """Send to every reachable user (the Telegram adapter paces at the global rate) and
        report the counts to the admin who started it."""
        if self._messenger is None:
            return
        delivered = blocked = failed = 0
        for user_id in await self._store.broadcast_targets():
            try:
                # Passing failures (a 5xx, a dropped connection) are retried on the way out.
                reachable = await self._messenger.send_text(user_id, text)
            except Exception as exc:
                log.warning("broadcast to %s failed after retries: %s", user_id, exc)
                failed += 1  # the user is not to blame: they stay on the list
                continue
            if reachable:
                delivered += 1
                continue
            blocked += 1  # blocked the bot, or deactivated: not written to again
            record = await self._store.load_user(user_id)
            if record is not None:
                await self._store.save_user(replace(record, blocked_bot=True))
            await asyncio.sleep(0)
        report = t("admin.broadcast_done", delivered=delivered, blocked=blocked, failed=failed)
        await self._messenger.send_text(report_to, report)
