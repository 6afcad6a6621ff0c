"""Coordination shared by every instance through Redis: rate-limit buckets, in-flight slots and
per-conversation locks.

Every Redis key the bot uses is built in this module, from ``LimitKey`` and ``ChatKey``:

    {prefix}rl:{kind}:{user_id}             token bucket: hash ``t`` (tokens), ``ts`` (server
                                            time); expires once it would be full again
    {prefix}busy:{kind}:{user_id}           in-flight slot: the claimant's random token, PX ttl
    {prefix}lock:{chat_id}:{thread_id|_}    conversation lock: the holder's random token, PX ttl,
                                            renewed while held

Read-modify-write steps run as Lua scripts (``EVALSHA``), so they are atomic across processes,
and buckets use the server's clock (``TIME``), so instances on different machines agree. Values
are deleted or extended only by whoever wrote them (compare-and-delete on a random token).

Redis errors never leave this module as they are: they become ``StorageError`` naming the server.
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from typing import Self

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from telegemini.coordination.memory import TOKEN_SLACK, MemoryChatLocks, check_bucket, check_ttl
from telegemini.core.models import ChatKey, LimitKey
from telegemini.errors import StorageError

log = logging.getLogger(__name__)

# The longest expiry we set: a bucket slower to refill than this is forgotten (full) early.
_YEAR_MS = 365 * 24 * 3600 * 1000

# KEYS[1] bucket; ARGV rate (tokens/s), burst, slack. Returns the wait in seconds as a string
# (Lua numbers would come back truncated to integers); "0" when a token was taken.
_TAKE_TOKEN = f"""
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local slack = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = burst
if state[1] and state[2] then
  local elapsed = math.max(0, now - tonumber(state[2]))
  tokens = math.min(burst, tonumber(state[1]) + elapsed * rate)
end
if tokens < 1 - slack then
  return string.format('%.17g', (1 - tokens) / rate)
end
tokens = math.max(0, tokens - 1)
redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens), 'ts', string.format('%.17g', now))
local full_ms = math.ceil((burst - tokens) / rate * 1000) + 1
redis.call('PEXPIRE', KEYS[1], math.min(full_ms, {_YEAR_MS}))
return '0'
"""

# KEYS[1]; ARGV[1] token. Deletes the key only if it still holds our token.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

# KEYS[1]; ARGV[1] token, ARGV[2] ttl in ms. Extends the key only if it still holds our token.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


def connect(url: str) -> Redis:
    """A client for ``url`` (connections are opened lazily, on first use)."""
    return Redis.from_url(url, socket_connect_timeout=5.0)


def describe(client: Redis) -> str:
    """The server's address as a URL without credentials, for error messages and logs."""
    kwargs = client.connection_pool.connection_kwargs
    if "path" in kwargs:
        return f"unix://{kwargs['path']}?db={kwargs.get('db', 0)}"
    host, port, db = kwargs.get("host", "localhost"), kwargs.get("port", 6379), kwargs.get("db", 0)
    return f"redis://{host}:{port}/{db}"


@contextmanager
def storage_errors(where: str) -> Iterator[None]:
    """Translate Redis failures into ``StorageError`` naming the server."""
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError) as exc:
        raise StorageError(f"Redis at {where} is unreachable: {exc}") from exc
    except RedisError as exc:
        raise StorageError(f"Redis at {where} failed: {exc}") from exc


def _ms(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))


class RedisRateLimiter:
    """``RateLimiter`` shared by every instance that uses the same Redis and ``prefix``.

    Idle buckets expire when they would be full again, and slots after their ``ttl``, so Redis
    holds only recently active users. ``end`` frees a slot only if this instance claimed it
    (and it has not expired and been claimed by someone else since).
    """

    def __init__(self, client: Redis, *, prefix: str = "tg:") -> None:
        self._client = client
        self._prefix = prefix
        self._where = describe(client)
        self._take = client.register_script(_TAKE_TOKEN)
        self._release = client.register_script(_RELEASE)
        # slots this instance claimed: key -> (token, local deadline); expired ones are swept
        self._claims: dict[LimitKey, tuple[str, float]] = {}
        self._sweep_at = 1024

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "tg:") -> Self:
        return cls(connect(url), prefix=prefix)

    async def ping(self) -> None:
        """Raise ``StorageError`` unless the server answers (for /readyz)."""
        with storage_errors(describe(self._client)):
            await self._client.ping()

    def bucket_key(self, key: LimitKey) -> str:
        return f"{self._prefix}rl:{key.kind}:{key.user_id}"

    def slot_key(self, key: LimitKey) -> str:
        return f"{self._prefix}busy:{key.kind}:{key.user_id}"

    async def acquire(self, key: LimitKey, *, rate: float, burst: int) -> float:
        check_bucket(rate, burst)
        with storage_errors(self._where):
            wait = await self._take(keys=[self.bucket_key(key)], args=[rate, burst, TOKEN_SLACK])
        return float(wait)

    async def begin(self, key: LimitKey, *, ttl: float) -> bool:
        check_ttl(ttl)
        token = secrets.token_hex(16)
        with storage_errors(self._where):
            claimed = await self._client.set(self.slot_key(key), token, nx=True, px=_ms(ttl))
        if not claimed:
            return False
        now = time.monotonic()
        if key not in self._claims and len(self._claims) >= self._sweep_at:
            self._claims = {k: v for k, v in self._claims.items() if v[1] > now}
            self._sweep_at = max(1024, 2 * len(self._claims))
        self._claims[key] = (token, now + ttl)
        return True

    async def end(self, key: LimitKey) -> None:
        claim = self._claims.pop(key, None)
        if claim is None:
            return
        with storage_errors(self._where):
            await self._release(keys=[self.slot_key(key)], args=[claim[0]])

    async def close(self) -> None:
        """Close the client (and the connection pool it owns)."""
        await self._client.aclose()


class RedisChatLocks:
    """``ChatLocks`` shared by every instance that uses the same Redis and ``prefix``.

    A holder first takes a local ``asyncio.Lock`` for the key (``MemoryChatLocks``: FIFO within
    the process, evicted when idle), then the Redis lock: ``SET NX PX ttl`` with a random token,
    retried with backoff from 5 ms to 50 ms while another process holds it. While held, a task
    extends the expiry every ``ttl / 3``; release deletes the key only if the token is still
    ours. A holder that dies without releasing blocks its chat for at most ``ttl`` seconds.
    """

    def __init__(self, client: Redis, *, prefix: str = "tg:", ttl: float = 120.0) -> None:
        check_ttl(ttl)
        self._client = client
        self._prefix = prefix
        self._ttl_ms = _ms(ttl)
        self._renew_every = ttl / 3
        self._where = describe(client)
        self._local = MemoryChatLocks()
        self._release = client.register_script(_RELEASE)
        self._renew = client.register_script(_RENEW)

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "tg:", ttl: float = 120.0) -> Self:
        return cls(connect(url), prefix=prefix, ttl=ttl)

    def __len__(self) -> int:
        """Keys held or awaited in this process."""
        return len(self._local)

    def lock_key(self, key: ChatKey) -> str:
        thread = "_" if key.thread_id is None else key.thread_id
        return f"{self._prefix}lock:{key.chat_id}:{thread}"

    @asynccontextmanager
    async def hold(self, key: ChatKey) -> AsyncIterator[None]:
        async with self._local.hold(key):
            name = self.lock_key(key)
            token = secrets.token_hex(16)
            await self._lock(name, token)
            renewal = asyncio.create_task(self._keep(name, token), name=f"renew {name}")
            try:
                yield
            finally:
                renewal.cancel()
                try:
                    with storage_errors(self._where):
                        await self._release(keys=[name], args=[token])
                finally:
                    await asyncio.wait([renewal])

    async def close(self) -> None:
        """Close the client (and the connection pool it owns)."""
        await self._client.aclose()

    async def _lock(self, name: str, token: str) -> None:
        delay = 0.005
        try:
            while True:
                with storage_errors(self._where):
                    if await self._client.set(name, token, nx=True, px=self._ttl_ms):
                        return
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.05)
        except asyncio.CancelledError:
            # The last SET may have landed before we stopped listening: undo it if so.
            with suppress(RedisError):
                await self._release(keys=[name], args=[token])
            raise

    async def _keep(self, name: str, token: str) -> None:
        while True:
            await asyncio.sleep(self._renew_every)
            try:
                kept = await self._renew(keys=[name], args=[token, self._ttl_ms])
            except RedisError as exc:
                log.warning("could not renew lock %s at %s: %s", name, self._where, exc)
                continue
            if not kept:
                log.warning("lock %s at %s expired while held", name, self._where)
                return
