"""Benchmark: avatar processing (draft-mode decode) against a naive full decode + resize,
and the memory ceiling against adversarial uploads (bench/suites/avatars/ceiling.py).

    python -m bench.suites.avatars.measure

Three generated pictures: a 12 MP JPEG, a 24 MP JPEG and a 4000x3000 PNG, all under the
5 MiB upload limit. Each (picture, path) pair runs in a fresh Python process, so its peak
memory is its own: we report the process's peak resident set size (VmHWM in /proc/self/status,
what the operating system had to give it) and how much of that the processing added over
the process's resident size just before it started.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness.stack import ROOT

RUNS = 7
TARGET = {"jpeg_12mp_ms": 150, "speedup": 4.0, "peak_rss_mb": 100}
CASES = [  # name, width, height, format, save options, noise blend
    ("12 MP JPEG", 4000, 3000, "JPEG", {"quality": 90}, 0.2),
    ("24 MP JPEG", 6000, 4000, "JPEG", {"quality": 82}, 0.12),
    ("4000x3000 PNG", 4000, 3000, "PNG", {}, 0.0),
]


def photo(width: int, height: int, noise: float) -> Any:
    """Return a photo-like picture: smooth gradients, shapes, and some sensor noise."""
    from PIL import Image, ImageDraw

    small = Image.linear_gradient("L").resize((width // 8, height // 8))
    other = small.transpose(Image.Transpose.ROTATE_90).resize(small.size)
    base = Image.merge("RGB", (small, other, Image.new("L", small.size, 90)))
    draw = ImageDraw.Draw(base)
    for i in range(30):
        x, y = (i * 97) % base.width, (i * 53) % base.height
        box = (x, y, x + base.width // 6, y + base.height // 5)
        draw.ellipse(box, fill=((i * 40) % 256, (i * 90) % 256, (i * 20) % 256))
    picture = base.resize((width, height), Image.Resampling.BICUBIC)
    if noise:
        grain = Image.effect_noise((width, height), 30).convert("RGB")
        picture = Image.blend(picture, grain, noise)
    return picture


def naive(data: bytes) -> list[bytes]:
    """What a first version does: decode everything, crop, resize, encode each size."""
    from PIL import Image, ImageOps

    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data)).convert("RGB"))
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    square = image.crop((left, top, left + side, top + side))
    out = []
    for size in (256, 64):
        buffer = io.BytesIO()
        square.resize((size, size), Image.Resampling.LANCZOS).save(buffer, "WEBP", quality=82)
        out.append(buffer.getvalue())
    return out


def measure(path: str, which: str) -> dict[str, float]:
    """Time RUNS runs of one path on one file in this process; report peak memory too."""
    from tictactoe.adapters import pillow

    data = Path(path).read_bytes()
    work = (lambda: pillow.process(data)) if which == "optimized" else (lambda: naive(data))
    before = status_mb("VmRSS")
    times, cpu = [], []
    for _ in range(RUNS + 1):  # the first run warms caches and is not counted
        start, start_cpu = time.perf_counter(), time.process_time()
        work()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    peak = status_mb("VmHWM")
    return {
        "median_ms": round(statistics.median(times[1:]), 1),
        "min_ms": round(min(times[1:]), 1),
        "max_ms": round(max(times[1:]), 1),
        "cpu_ms": round(statistics.median(cpu[1:]), 1),
        "peak_rss_mb": round(peak, 1),
        "added_rss_mb": round(peak - before, 1),
    }


def status_mb(field: str) -> float:
    """Read a memory figure of this process from /proc (Linux), in MiB.

    VmHWM is the peak resident set size. Unlike getrusage's ru_maxrss it starts afresh at
    exec, so it is not inflated by the parent process that generated the pictures.
    """
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(f"{field} not in /proc/self/status")


def in_subprocess(module: str, *args: str) -> dict[str, Any]:
    """`module`'s measure(*args) in a fresh process (its own peak memory), as JSON."""
    code = f"import json, sys; from {module} import measure; "
    code += "print(json.dumps(measure(*sys.argv[1:])))"
    done = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def run() -> dict[str, Any]:
    """Generate the pictures, measure both paths on each, return the figures."""
    load = round(os.getloadavg()[0], 2)
    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, width, height, fmt, options, noise in CASES:
            path = Path(tmp) / f"{width}x{height}.{fmt.lower()}"
            photo(width, height, noise).save(path, fmt, **options)
            optimized = in_subprocess("bench.suites.avatars.measure", str(path), "optimized")
            plain = in_subprocess("bench.suites.avatars.measure", str(path), "naive")
            cases.append(
                {
                    "name": name,
                    "file_mb": round(path.stat().st_size / 2**20, 2),
                    "optimized": optimized,
                    "naive": plain,
                    "speedup": round(plain["median_ms"] / optimized["median_ms"], 1),
                    "cpu_speedup": round(plain["cpu_ms"] / optimized["cpu_ms"], 1),
                }
            )
    first = cases[0]
    from bench.suites.avatars import ceiling as avatar_ceiling

    return {
        "ceiling": avatar_ceiling.run(),
        "benchmark": "avatars",
        "cpus": os.cpu_count(),
        "load_average": load,
        "runs": RUNS,
        "memory": "peak RSS (VmHWM) of a fresh process per picture and path; "
        "added = peak minus the RSS just before processing",
        "cases": cases,
        "targets": TARGET,
        "meets_targets": first["optimized"]["median_ms"] < TARGET["jpeg_12mp_ms"]
        and first["speedup"] >= TARGET["speedup"]
        and first["optimized"]["peak_rss_mb"] < TARGET["peak_rss_mb"],
    }


def report(result: dict[str, Any]) -> str:
    """Return the figures as a Markdown table."""
    lines = [
        "| picture | file | path | median ms | min | max | CPU ms | peak RSS MB | added MB "
        "| speed-up |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for case in result["cases"]:
        for which in ("optimized", "naive"):
            m = case[which]
            speedup = (
                f"{case['speedup']}x ({case['cpu_speedup']}x CPU)" if which == "optimized" else ""
            )
            lines.append(
                f"| {case['name']} | {case['file_mb']} MB | {which} | {m['median_ms']} | "
                f"{m['min_ms']} | {m['max_ms']} | {m['cpu_ms']} | {m['peak_rss_mb']} | "
                f"{m['added_rss_mb']} | {speedup} |"
            )
    lines.append(
        f"\n{result['cpus']} CPUs, load average {result['load_average']} at the start, "
        f"{result['runs']} runs each (wall-clock times; CPU ms is the process's CPU time). "
        f"{result['memory']}."
    )
    lines.append(f"Targets met: {result['meets_targets']} ({result['targets']}).")
    if "ceiling" in result:
        from bench.suites.avatars import ceiling as avatar_ceiling

        lines += ["", "### Memory ceiling: adversarial uploads", ""]
        lines.append(avatar_ceiling.report(result["ceiling"]))
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run()))
