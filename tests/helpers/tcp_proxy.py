"""A TCP proxy for fault injection: put it between the bot and PostgreSQL or Redis, then cut or
freeze the network without touching the shared servers (they are never restarted).

    async with TcpProxy("127.0.0.1", 5432) as proxy:
        url = proxy.url_for("postgresql+asyncpg://postgres@127.0.0.1:5432/test")
        ...                       # the bot connects through 127.0.0.1:<proxy.port>
        proxy.cut()               # every connection closed (reset), new ones closed at once
        proxy.freeze()            # connections stay open, nothing moves; new ones accepted, stalled
        proxy.restore()           # normal again (what a freeze held back is delivered)

It runs in the caller's event loop, on 127.0.0.1 and a port the OS picks. ``freeze`` is a
blackholed network: TCP would retransmit what it could not deliver, so when the network comes
back (``restore``) the bytes held back go through, in order, and the connection carries on.
``cut`` is a network that breaks connections: the peers see a reset, and a connection accepted
while cut is reset at once (a refused connection, as a client sees it).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger(__name__)

CHUNK = 64 * 1024


class Network(enum.Enum):
    OPEN = "open"
    FROZEN = "frozen"
    CUT = "cut"


class _Link:
    """One proxied connection: the client's side, the target's side, and the two pipes."""

    def __init__(self, client: asyncio.StreamWriter) -> None:
        self.client = client
        self.target: asyncio.StreamWriter | None = None
        self.pipes: list[asyncio.Task[None]] = []

    def abort(self) -> None:
        """Reset both sides now (what is not sent yet is dropped); the pipes end."""
        for writer in self._writers():
            writer.transport.abort()
        for pipe in self.pipes:
            pipe.cancel()

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
    """Forwards 127.0.0.1:``port`` to ``target_host``:``target_port``; see the module doc."""

    def __init__(self, target_host: str, target_port: int, *, host: str = "127.0.0.1") -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.host = host
        self.port = 0  # known once started
        self.accepted = 0  # connections accepted since start (cut ones included)
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
        """Stop listening and reset every connection; returns when all of them are gone."""
        if self._server is not None:
            self._server.close()
        self._network = Network.CUT
        self._flowing.set()
        self._abort_all()
        handlers = list(self._handlers)
        for handler in handlers:
            handler.cancel()  # one still connecting to the target, too
        await asyncio.gather(*handlers, return_exceptions=True)
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
        """Connections open through the proxy now."""
        return len(self._links)

    def cut(self) -> None:
        """Reset every open connection now; connections made from now on are reset at once."""
        self._network = Network.CUT
        self._flowing.set()  # pipes waiting on a freeze wake up to find their link gone
        self._abort_all()

    def freeze(self) -> None:
        """Forward nothing in either direction; accept new connections but stall them."""
        self._network = Network.FROZEN
        self._flowing.clear()

    def restore(self) -> None:
        """Back to normal: new connections go through; bytes a freeze held back flow again."""
        self._network = Network.OPEN
        self._flowing.set()

    # --- addresses ---------------------------------------------------------------------------

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def url_for(self, url: str) -> str:
        """``url`` (a DATABASE_URL or REDIS_URL) with its host:port replaced by the proxy's;
        scheme, credentials, path and query stay."""
        if not self.port:
            raise RuntimeError("the proxy is not started")
        parts = urlsplit(url)
        if parts.hostname is None:
            raise ValueError(f"{url!r} names no host")
        userinfo, _, _ = parts.netloc.rpartition("@")
        netloc = f"{userinfo}@{self.address}" if userinfo else self.address
        return urlunsplit(parts._replace(netloc=netloc))

    # --- internals ---------------------------------------------------------------------------

    def _abort_all(self) -> None:
        for link in list(self._links):
            link.abort()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self.accepted += 1
        link = _Link(writer)
        try:
            if self._network is Network.CUT:
                writer.transport.abort()
                return
            self._links.add(link)
            try:
                target_reader, link.target = await asyncio.open_connection(
                    self.target_host, self.target_port
                )
            except OSError as exc:
                log.warning("proxy %s: target %s:%s: %s", self.address, *self._target(), exc)
                return
            if self._network is Network.CUT or link not in self._links:
                return  # cut while connecting
            link.pipes = [
                asyncio.create_task(self._pipe(reader, link.target)),
                asyncio.create_task(self._pipe(target_reader, writer)),
            ]
            # One side closing (EOF or error) ends the whole connection.
            await asyncio.wait(link.pipes, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            pass  # stopped
        finally:
            self._links.discard(link)
            for pipe in link.pipes:
                pipe.cancel()
            await asyncio.gather(*link.pipes, return_exceptions=True)
            await link.close()
            self._handlers.discard(task)

    def _target(self) -> tuple[str, int]:
        return self.target_host, self.target_port

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):  # a reset on either side ends the pipe
            while True:
                await self._flowing.wait()  # frozen: read no further (the sender's window fills)
                data = await source.read(CHUNK)
                if not data:
                    return
                await self._flowing.wait()  # frozen meanwhile: hold what was read
                if self._network is Network.CUT:
                    return
                sink.write(data)
                await sink.drain()
