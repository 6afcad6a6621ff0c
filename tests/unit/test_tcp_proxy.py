"""The fault-injection TCP proxy (tests/helpers/tcp_proxy.py) against a tiny echo server: bytes
go through both ways, ``cut`` resets connections and refuses new ones, ``freeze`` holds
everything back until ``restore`` delivers it (or loses it for good, if asked), and ``stop``
leaves nothing open."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from tests.helpers.tcp_proxy import Network, TcpProxy

WAIT = 2.0  # bound on anything that should happen promptly
HOLD = 0.3  # how long nothing must arrive while frozen


class EchoServer:
    """Echoes every chunk back, records what it received, and can push to its clients."""

    def __init__(self) -> None:
        self.received = bytearray()
        self.clients: list[asyncio.StreamWriter] = []
        self._got = asyncio.Event()
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self.clients:
            writer.close()
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.clients.append(writer)
        try:
            while data := await reader.read(1024):
                self.received += data
                self._got.set()
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    async def wait_received(self, data: bytes) -> None:
        async def seen() -> None:
            while data not in self.received:
                self._got.clear()
                await self._got.wait()

        try:
            await asyncio.wait_for(seen(), WAIT)
        except TimeoutError:
            got = bytes(self.received)
            raise AssertionError(f"the server never got {data!r}; got {got!r}") from None


@pytest.fixture
async def echo() -> AsyncIterator[EchoServer]:
    server = EchoServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def proxy(echo: EchoServer) -> AsyncIterator[TcpProxy]:
    async with TcpProxy("127.0.0.1", echo.port) as running:
        yield running


async def connect(proxy: TcpProxy) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.wait_for(asyncio.open_connection("127.0.0.1", proxy.port), WAIT)


async def read_exactly(reader: asyncio.StreamReader, n: int) -> bytes:
    try:
        return await asyncio.wait_for(reader.readexactly(n), WAIT)
    except TimeoutError:
        raise AssertionError(f"{n} bytes did not come back within {WAIT}s") from None


async def closed_by_proxy(reader: asyncio.StreamReader) -> None:
    """The connection ends (EOF or reset) promptly, with no data."""
    try:
        data = await asyncio.wait_for(reader.read(1024), WAIT)
    except ConnectionResetError:
        return
    except TimeoutError:
        raise AssertionError(f"the connection stayed open for {WAIT}s") from None
    assert data == b"", f"got {data!r} instead of the connection closing"


async def nothing_arrives(reader: asyncio.StreamReader) -> None:
    """Nothing comes for ``HOLD`` seconds (the connection stays open, too)."""
    try:
        data = await asyncio.wait_for(reader.read(1024), HOLD)
    except TimeoutError:
        return
    pytest.fail(f"got {data!r} through a frozen proxy")


async def close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(ConnectionResetError, BrokenPipeError):
        await asyncio.wait_for(writer.wait_closed(), WAIT)


def test_url_for_points_a_database_or_redis_url_at_the_proxy() -> None:
    proxy = TcpProxy("127.0.0.1", 5432)
    proxy.port = 40123  # as if started
    assert (
        proxy.url_for("postgresql+asyncpg://postgres@127.0.0.1:5432/t_1?ssl=disable")
        == "postgresql+asyncpg://postgres@127.0.0.1:40123/t_1?ssl=disable"
    )
    assert proxy.url_for("redis://:pw@localhost:6379/0") == "redis://:pw@127.0.0.1:40123/0"
    assert proxy.url_for("redis://127.0.0.1/2") == "redis://127.0.0.1:40123/2"
    target = TcpProxy.for_url("redis://127.0.0.1:6379/0")
    assert (target.target_host, target.target_port) == ("127.0.0.1", 6379)


async def test_bytes_go_through_both_ways(proxy: TcpProxy, echo: EchoServer) -> None:
    reader, writer = await connect(proxy)
    writer.write(b"ping")
    assert await read_exactly(reader, 4) == b"ping"
    assert proxy.connections == 1
    await close(writer)
    assert bytes(echo.received) == b"ping"


async def test_cut_resets_open_connections_and_refuses_new_ones_until_restored(
    proxy: TcpProxy,
) -> None:
    reader, writer = await connect(proxy)
    writer.write(b"a")
    assert await read_exactly(reader, 1) == b"a"

    proxy.cut()
    assert proxy.network is Network.CUT
    await closed_by_proxy(reader)  # the open one is gone ...
    assert proxy.connections == 0
    late_reader, late_writer = await connect(proxy)  # ... a new one is accepted, then closed
    await closed_by_proxy(late_reader)
    await close(writer)
    await close(late_writer)

    proxy.restore()
    reader, writer = await connect(proxy)
    writer.write(b"back")
    assert await read_exactly(reader, 4) == b"back"
    await close(writer)


async def test_freeze_holds_everything_back_and_restore_delivers_it_in_order(
    proxy: TcpProxy, echo: EchoServer
) -> None:
    reader, writer = await connect(proxy)
    writer.write(b"1")
    assert await read_exactly(reader, 1) == b"1"

    proxy.freeze()
    writer.write(b"2")  # client → server: stalled
    echo.clients[0].write(b"!")  # server → client: stalled
    await nothing_arrives(reader)
    assert bytes(echo.received) == b"1"
    fresh_reader, fresh_writer = await connect(proxy)  # accepted, but stalled too
    fresh_writer.write(b"new")
    await nothing_arrives(fresh_reader)
    assert bytes(echo.received) == b"1"
    assert proxy.connections == 2  # nothing was closed

    proxy.restore()
    assert await read_exactly(reader, 2) == b"!2"  # held bytes, then the echo of "2"
    assert await read_exactly(fresh_reader, 3) == b"new"
    await echo.wait_received(b"new")
    await close(writer)
    await close(fresh_writer)


async def test_restore_losing_the_frozen_connections_leaves_them_silent_and_new_ones_working(
    proxy: TcpProxy, echo: EchoServer
) -> None:
    reader, writer = await connect(proxy)
    proxy.freeze()
    writer.write(b"held")
    proxy.restore(lose_frozen=True)
    writer.write(b"after")
    await nothing_arrives(reader)  # neither what the freeze held nor anything later
    assert bytes(echo.received) == b""
    assert proxy.connections == 1  # open, but silent

    fresh_reader, fresh_writer = await connect(proxy)
    fresh_writer.write(b"new")
    assert await read_exactly(fresh_reader, 3) == b"new"
    await close(writer)
    await close(fresh_writer)


async def test_cut_while_frozen_resets_the_stalled_connections(proxy: TcpProxy) -> None:
    reader, writer = await connect(proxy)
    proxy.freeze()
    writer.write(b"held")
    proxy.cut()
    await closed_by_proxy(reader)
    await close(writer)


async def test_stop_closes_every_connection_and_the_port(echo: EchoServer) -> None:
    proxy = TcpProxy("127.0.0.1", echo.port)
    async with proxy:
        reader, writer = await connect(proxy)
        frozen_reader, frozen_writer = await connect(proxy)
        writer.write(b"x")
        assert await read_exactly(reader, 1) == b"x"
        proxy.freeze()
    await closed_by_proxy(reader)
    await closed_by_proxy(frozen_reader)
    assert proxy.connections == 0
    with pytest.raises(ConnectionRefusedError):
        await connect(proxy)
    await close(writer)
    await close(frozen_writer)


async def test_a_target_that_refuses_closes_the_client_connection() -> None:
    async with TcpProxy("127.0.0.1", 1) as proxy:  # nothing listens on port 1
        reader, writer = await connect(proxy)
        await closed_by_proxy(reader)
        await close(writer)
