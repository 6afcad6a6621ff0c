"""A TCP proxy for fault injection: put it between the bot and PostgreSQL or Redis, then cut or
freeze the network without touching the shared servers (they are never restarted).

    async with TcpProxy.for_url(POSTGRES_URL) as proxy:
        url = proxy.url_for(database_url)  # the bot connects through 127.0.0.1:<proxy.port>
        proxy.cut()      # every connection reset; new ones accepted, then reset at once
        proxy.freeze()   # connections stay open, nothing moves; new ones accepted, then stalled
        proxy.restore()  # normal again: what the freeze held back is delivered

It runs in the caller's event loop, on 127.0.0.1 and a port the OS picks.

``freeze`` is a blackholed network. TCP retransmits what it could not deliver, so when a short
blackhole ends (``restore()``) the bytes held back go through, in order, and every connection
carries on. ``restore(lose_frozen=True)`` ends it the other way: the connections that were open
during the freeze never come back (the blackhole outlasted TCP's retransmissions, or the server
behind the address failed over): they stay open but silent, swallowing whatever is sent, while
new connections work. ``cut`` is a network that breaks connections: the peers see a reset, and
a connection made while cut is reset as soon as it is accepted (refused, as a client sees it).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
STOP_WITHIN = 5.0  # seconds for every connection to be gone once stopped


class Network(enum.Enum):
    OPEN = "open"
    FROZEN = "frozen"
    CUT = "cut"


class _Link:
    """One proxied connection: the client's side, the target's side, and the two pipes."""

    def __init__(self, client: asyncio.StreamWriter) -> None:
        self.client = client
        self.target: asyncio.StreamWriter | None = None
        self.tasks: list[asyncio.Task[Any]] = []  # the connect to the target, then the pipes
        self.lost = False  # silent for good: bytes read are dropped

    def abort(self) -> None:
        """Reset both sides now (what is not sent yet is dropped); the pipes end."""
        for writer in self._writers():
            writer.transport.abort()
        for task in self.tasks:
            task.cancel()

    async def close(self) -> None:
        """Close both sides once what was written is sent (one side hung up)."""
        for writer in self._writers():
            writer.close()
        for writer in self._writers():
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    def _writers(self) -> list[asyncio.StreamWriter]:
        return [w for w in (self.client, self.target) if w is not None]


class TcpProxy:
    """Forwards ``host``:``port`` to ``target_host``:``target_port``; see the module doc."""

    def __init__(self, target_host: str, target_port: int, *, host: str = "127.0.0.1") -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.host = host
        self.port = 0  # known once started
        self.accepted = 0  # connections accepted since the start (cut ones included)
        self._network = Network.OPEN
        self._flowing = asyncio.Event()  # set unless frozen
        self._flowing.set()
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self._handlers: set[asyncio.Task[None]] = set()

    @classmethod
    def for_url(cls, url: str) -> Self:
        """A proxy in front of the host and port of ``url`` (a DATABASE_URL or REDIS_URL)."""
        parts = urlsplit(url)
        if parts.hostname is None or parts.port is None:
            raise ValueError(f"{url!r} names no host and port")
        return cls(parts.hostname, parts.port)

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop listening and reset every connection; returns once all of them are gone."""
        if self._server is not None:
            self._server.close()
        self.cut()
        if self._handlers:
            _, stuck = await asyncio.wait(self._handlers, timeout=STOP_WITHIN)
            if stuck:
                raise RuntimeError(f"proxy {self.address}: {len(stuck)} connections never closed")
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # --- faults ------------------------------------------------------------------------------

    @property
    def network(self) -> Network:
        return self._network

    @property
    def connections(self) -> int:
        """Connections open through the proxy now (lost ones included)."""
        return len(self._links)

    def cut(self) -> None:
        """Reset every open connection now; connections made from now on are reset at once."""
        self._network = Network.CUT
        self._flowing.set()  # pipes held by a freeze wake up to find their link gone
        for link in list(self._links):
            link.abort()

    def freeze(self) -> None:
        """Forward nothing in either direction; accept new connections but stall them."""
        self._network = Network.FROZEN
        self._flowing.clear()

    def restore(self, *, lose_frozen: bool = False) -> None:
        """Back to normal for new connections. The ones open during a freeze get what it held
        back, or with ``lose_frozen`` stay silent for good (see the module doc)."""
        if lose_frozen and self._network is Network.FROZEN:
            for link in self._links:
                link.lost = True
        self._network = Network.OPEN
        self._flowing.set()

    # --- addresses ---------------------------------------------------------------------------

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def url_for(self, url: str) -> str:
        """``url`` (a DATABASE_URL or REDIS_URL) with its host and port replaced by the
        proxy's; scheme, credentials, path and query stay."""
        if not self.port:
            raise RuntimeError("the proxy is not started")
        parts = urlsplit(url)
        if parts.hostname is None:
            raise ValueError(f"{url!r} names no host")
        userinfo, _, _ = parts.netloc.rpartition("@")
        netloc = f"{userinfo}@{self.address}" if userinfo else self.address
        return urlunsplit(parts._replace(netloc=netloc))

    # --- internals ---------------------------------------------------------------------------

    def _is_cut(self) -> bool:  # a method: the state changes while a connection waits
        return self._network is Network.CUT

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Never cancelled (asyncio logs a cancelled client_connected_cb as an error): ``cut``
        # and ``stop`` abort the link instead, which ends its connect and pipes, and so this.
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self.accepted += 1
        link = _Link(writer)
        try:
            if self._is_cut():
                writer.transport.abort()
                return
            self._links.add(link)
            connecting = asyncio.create_task(
                asyncio.open_connection(self.target_host, self.target_port)
            )
            link.tasks = [connecting]
            try:
                target_reader, link.target = await connecting
            except asyncio.CancelledError:
                return  # cut or stopped while connecting
            except OSError as exc:
                target = f"{self.target_host}:{self.target_port}"
                log.warning("proxy %s: cannot reach %s: %s", self.address, target, exc)
                return
            if self._is_cut():
                return  # cut while connecting
            link.tasks = [
                asyncio.create_task(self._pipe(link, reader, link.target)),
                asyncio.create_task(self._pipe(link, target_reader, writer)),
            ]
            # One side closing (EOF or error) or a cut ends the whole connection.
            await asyncio.wait(link.tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._links.discard(link)
            for pipe in link.tasks:
                pipe.cancel()
            await asyncio.gather(*link.tasks, return_exceptions=True)
            await link.close()
            self._handlers.discard(task)

    async def _pipe(
        self, link: _Link, source: asyncio.StreamReader, sink: asyncio.StreamWriter
    ) -> None:
        with contextlib.suppress(OSError):  # a reset on either side ends the pipe
            while True:
                await self._flowing.wait()  # frozen: read no further (the sender's window fills)
                data = await source.read(CHUNK)
                if not data:
                    return
                await self._flowing.wait()  # frozen meanwhile: hold what was read
                if self._is_cut():
                    return
                if link.lost:
                    continue  # into the void
                sink.write(data)
                await sink.drain()
