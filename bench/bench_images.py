"""Images: the cost from a 4K PNG from the model to the JPEG photo Telegram takes, and the peak
memory while four HD variants are converted at once (in a fresh process, so RSS is honest)."""

from __future__ import annotations

import asyncio
import io
import resource
import subprocess
import sys
import time

from PIL import Image

from bench.results import Figure, info
from telegemini.media.images import PillowImageCodec, photo_jpeg


def model_png(width: int = 4096, height: int = 2304, seed: int = 0) -> bytes:
    """A photo-like 4K PNG: a gradient with noise (noise is what makes JPEG and PNG work)."""
    noise = Image.effect_noise((width, height), 40 + seed).convert("RGB")
    gradient = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    out = io.BytesIO()
    Image.blend(noise, gradient, 0.6).save(out, format="PNG", compress_level=1)
    return out.getvalue()


def conversion_time(rounds: int = 3) -> tuple[float, int, int]:
    png = model_png()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        jpeg = photo_jpeg(png)
        times.append(time.perf_counter() - started)
    return min(times), len(png), len(jpeg)


def _peak_child() -> None:
    pngs = [model_png(seed=n) for n in range(4)]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    async def convert_all() -> None:
        codec = PillowImageCodec()
        await asyncio.gather(*(codec.to_photo(p) for p in pngs))

    asyncio.run(convert_all())
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{before} {after}")


def peak_memory() -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-c", "from bench.bench_images import _peak_child; _peak_child()"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return int(out[0]) / 1024, int(out[1]) / 1024


def main() -> list[Figure]:
    seconds, png_size, jpeg_size = conversion_time()
    before, after = peak_memory()
    figures = [
        info(
            "4K PNG → Telegram photo JPEG",
            seconds * 1000,
            "ms",
            f"{png_size / 1e6:.1f} MB PNG → {jpeg_size / 1e6:.1f} MB JPEG; CPU in the media pool, "
            "off the event loop",
        ),
        info(
            "peak RSS converting 4 HD variants at once",
            after,
            "MB",
            f"{after - before:+.0f} MB over the {before:.0f} MB with the 4 PNGs loaded",
        ),
    ]
    for figure in figures:
        print(figure.line())
    return figures
