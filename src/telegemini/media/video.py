"""MP4 with PyAV, on the media pool (never on the event loop): what a clip holds (its shape for
``sendVideo``), and a short clip of one colour (the fake video model's and the benchmark's).

PyAV (~16 MB resident) is imported on first use, in the worker: a bot that never films never
loads it."""

from __future__ import annotations

import io
from fractions import Fraction

from telegemini.errors import CorruptMedia
from telegemini.media.workers import run_media

FPS = 12


def _shape(data: bytes) -> tuple[int, int, float]:
    import av

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            stream = container.streams.video[0]
            width, height = stream.codec_context.width, stream.codec_context.height
            if container.duration is not None:
                seconds = container.duration / av.time_base
            elif stream.duration is not None and stream.time_base is not None:
                seconds = float(stream.duration * stream.time_base)
            else:
                seconds = 0.0
    except (av.FFmpegError, IndexError, ValueError) as exc:
        raise CorruptMedia(f"not a video: {exc}") from exc
    if width <= 0 or height <= 0:
        raise CorruptMedia("a video without a picture")
    return width, height, seconds


class PyAvVideoProbe:
    """``VideoProbe`` on PyAV."""

    async def shape(self, data: bytes) -> tuple[int, int, float]:
        return await run_media(_shape, data)


def solid_clip(
    rgb: tuple[int, int, int], *, width: int, height: int, seconds: float, fps: int = FPS
) -> bytes:
    """An H.264 MP4 of one colour, ``seconds`` long (CPU work: call it off the event loop)."""
    import av

    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = Fraction(1, fps)
        stream.options = {"preset": "ultrafast", "tune": "stillimage"}
        frame = av.VideoFrame(width, height, "rgb24")
        frame.planes[0].update(bytes(rgb) * (frame.planes[0].buffer_size // 3))
        image = frame.reformat(format="yuv420p")
        for index in range(max(1, round(seconds * fps))):
            image.pts = index
            image.time_base = Fraction(1, fps)
            for packet in stream.encode(image):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


async def make_solid_clip(
    rgb: tuple[int, int, int], *, width: int, height: int, seconds: float
) -> bytes:
    return await run_media(solid_clip, rgb, width=width, height=height, seconds=seconds)
