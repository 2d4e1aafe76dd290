"""Media memory benchmark: how much the server's memory grows while one large medium is
uploaded to it and downloaded from it.

Run from the repository root, with chinwag installed with its test extra (pgserver,
psutil); the tree measured is the one `chinwag serve` imports, so a commit is measured
from a worktree of it (its bench/ need not have this file: the benchmark only talks
HTTP to the server):

    python bench/media_memory.py                     # about 70 s, SQLite and PostgreSQL
    git worktree add /tmp/media-before e666817       # the parent of 2fc99de
    PYTHONPATH=/tmp/media-before/src python bench/media_memory.py --label before \
        --out /tmp/media-before.json
    python bench/media_memory_report.py /tmp/media-before.json \
        bench/results/media-memory.json --plot docs/img/media-memory.png  # matplotlib

Two files of --mib MiB (default 100) are written first: random bytes, which nothing
compresses, and one byte repeated, which PostgreSQL would compress (--content random,
repeated or both). Then, per engine, per file and per run (--runs, default 3): a fresh
database (a SQLite file, or a PostgreSQL database of pgserver's, bench/engines.py) and a
new `chinwag serve` on it; a 3 MiB medium of the same kind uploaded and downloaded once
(every code path warmed up), then the two measured steps:

- upload: `POST /chinwag/v1/Services/{ChatServiceSid}/Media`, the raw bytes with their
  Content-Length, streamed from the file (aiohttp reads it 64 KiB at a time), until 201;
- download: `GET` of the medium's `links.content`, read 1 MiB at a time and hashed, to
  the last byte; "round-tripped" if it is 200 with the file's length and SHA-256.

Before each step, the server's peak RSS (VmHWM) is reset to its current RSS by writing
5 to /proc/PID/clear_refs; the step's peak rise is VmHWM after it minus that baseline.
VmRSS is also sampled every 20 ms by a thread (the figure to fall back on where
clear_refs cannot be written; both are kept). Also recorded: the step's wall time, the
server's CPU seconds and PostgreSQL's (bench/cpu.py), the RSS left a moment after the
step, and the machine's load average. Medians of the runs are reported.

Results: a table on stdout (Markdown) and bench/results/media-memory.json.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import aiohttp
from api import auth_header, chinwag_target, running
from cpu import CpuMeter
from engines import ENGINES, add_engines_option, databases
from media_memory_report import report, results_json
from provenance import measured_tree

BENCH = Path(__file__).resolve().parent
MIB = 1024 * 1024
CONTENTS = ("random", "repeated")
REPEATED_BYTE = b"\x02"
WARM_UP_MIB = 3
SAMPLE_EVERY_S = 0.02
SETTLE_S = 0.3  # before a step's baseline, and before the RSS left after it is read
TIMEOUT = aiohttp.ClientTimeout(total=900)
CONTENT_TYPE = "video/mp4"


def _content_arg(text: str) -> list[str]:
    if text == "both":
        return list(CONTENTS)
    if text not in CONTENTS:
        raise argparse.ArgumentTypeError(f"'{text}' is not one of random, repeated, both")
    return [text]


def write_file(path: Path, content: str, size: int) -> str:
    """`size` bytes of `content` ("random" or "repeated") at `path`; their SHA-256."""
    digest = hashlib.sha256()
    block = REPEATED_BYTE * MIB
    with path.open("wb") as f:
        left = size
        while left:
            chunk = os.urandom(min(MIB, left)) if content == "random" else block[: min(MIB, left)]
            f.write(chunk)
            digest.update(chunk)
            left -= len(chunk)
    return digest.hexdigest()


class Memory:
    """The server's VmRSS and VmHWM (/proc/PID/status), and a thread sampling its VmRSS."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kib = 0
        self.samples = 0
        self._running = False
        self._thread: threading.Thread | None = None

    def status(self) -> dict[str, int]:
        """VmRSS and VmHWM in KiB."""
        found = {}
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":")
                    found[key] = int(value.split()[0])
        return found

    def reset_peak(self) -> bool:
        """VmHWM set to the current VmRSS (clear_refs 5, Linux 4.0 on); False if refused."""
        try:
            with open(f"/proc/{self.pid}/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            return False
        return True

    def start_sampling(self) -> None:
        self.peak_kib, self.samples, self._running = self.status()["VmRSS"], 1, True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def stop_sampling(self) -> None:
        self._running = False
        if self._thread is not None:
            self._thread.join()

    def _sample(self) -> None:
        while self._running:
            self.peak_kib = max(self.peak_kib, self.status()["VmRSS"])
            self.samples += 1
            time.sleep(SAMPLE_EVERY_S)


async def step(
    memory: Memory, meter: CpuMeter, action: Callable[[], Coroutine[Any, Any, dict[str, Any]]]
) -> dict[str, Any]:
    """Run `action` with the server's peak RSS reset before and read after."""
    await asyncio.sleep(SETTLE_S)
    reset = memory.reset_peak()
    baseline = memory.status()  # after a reset, VmHWM is the RSS at the reset
    base_kib = baseline["VmHWM"] if reset else baseline["VmRSS"]
    load_before = os.getloadavg()
    cpu_before = meter.read()
    memory.start_sampling()
    started = time.perf_counter()
    try:
        found = await action()
        elapsed = time.perf_counter() - started
        cpu = CpuMeter.used(cpu_before, meter.read())
        after = memory.status()
    finally:
        memory.stop_sampling()
    sampled = max(memory.peak_kib, after["VmRSS"])
    await asyncio.sleep(SETTLE_S)
    left = memory.status()["VmRSS"]
    return found | {
        "time_s": round(elapsed, 3),
        "peak_rise_mib": round(((after["VmHWM"] if reset else sampled) - base_kib) / 1024, 1),
        "sampled_peak_rise_mib": round((sampled - base_kib) / 1024, 1),
        "from": "VmHWM after clear_refs" if reset else "VmRSS sampled every 20 ms",
        "baseline_rss_mib": round(base_kib / 1024, 1),
        "rss_left_mib": round((left - base_kib) / 1024, 1),
        "samples": memory.samples,
        "cpu_s": {name: round(seconds, 3) for name, seconds in cpu.items()},
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
    }


async def upload(session: aiohttp.ClientSession, media_url: str, file: Path) -> dict[str, Any]:
    with file.open("rb") as body:  # aiohttp sends a file with its Content-Length
        async with session.post(
            media_url, data=body, headers={"Content-Type": CONTENT_TYPE}
        ) as resp:
            if resp.status != 201:
                raise RuntimeError(f"upload: {resp.status} {await resp.text()}")
            found: dict[str, Any] = await resp.json()
    return {"status": resp.status, "sid": found["sid"], "size": found["size"], "medium": found}


async def download(
    session: aiohttp.ClientSession, content_url: str, size: int, sha256: str
) -> dict[str, Any]:
    digest = hashlib.sha256()
    got = 0
    async with session.get(content_url) as resp:
        async for chunk in resp.content.iter_chunked(MIB):
            digest.update(chunk)
            got += len(chunk)
        status = resp.status
    same = status == 200 and got == size and digest.hexdigest() == sha256
    return {"status": status, "bytes": got, "round_tripped": same}


async def measure(url: str, memory: Memory, meter: CpuMeter, file: Path, sha: str) -> Any:
    """Warm up on a small medium, then the measured upload and download of `file`."""
    size = file.stat().st_size
    async with aiohttp.ClientSession(headers=auth_header(), timeout=TIMEOUT) as session:
        async with session.get(f"{url}/v1/Services") as resp:
            if resp.status != 200:
                raise RuntimeError(f"services: {resp.status} {await resp.text()}")
            service_sid = (await resp.json())["services"][0]["sid"]
        media_url = f"{url}/chinwag/v1/Services/{service_sid}/Media"
        small = file.with_suffix(".warm-up")
        with file.open("rb") as source:
            small.write_bytes(source.read(WARM_UP_MIB * MIB))
        small_sha = hashlib.sha256(small.read_bytes()).hexdigest()
        warm = await upload(session, media_url, small)
        warmed = await download(
            session, warm["medium"]["links"]["content"], warm["size"], small_sha
        )
        if not warmed["round_tripped"]:
            raise RuntimeError(f"warm-up download did not round-trip: {warmed}")
        up = await step(memory, meter, lambda: upload(session, media_url, file))
        medium = up.pop("medium")
        content_url = medium["links"]["content"]
        down = await step(memory, meter, lambda: download(session, content_url, size, sha))
    return {"upload": up, "download": down}


def run_engine(
    engine: str, work: Path, files: dict[str, tuple[Path, str]], args: argparse.Namespace
) -> dict[str, Any]:
    contents: dict[str, list[dict[str, Any]]] = {}
    with databases(engine, work) as dbs:
        version = dbs.version()
        for content, (file, sha) in files.items():
            runs = contents.setdefault(content, [])
            for n in range(args.runs):
                url = dbs.new(f"media-{content}")
                target = chinwag_target(engine, url, 1, args.pool_size)
                target.name = f"media-{engine}-{content}-{n}"
                with running(target, work) as pids:
                    memory = Memory(pids[0])
                    meter = CpuMeter(pids, dbs.postgres_pid())
                    found = asyncio.run(measure(target.url, memory, meter, file, sha))
                dbs.drop(url)
                runs.append(found)
                up, down = found["upload"], found["download"]
                print(
                    f"  {engine} {content} run {n + 1}: upload +{up['peak_rise_mib']} MiB "
                    f"{up['time_s']:.2f} s, download +{down['peak_rise_mib']} MiB "
                    f"{down['time_s']:.2f} s"
                    f"{'' if down['round_tripped'] else ' NOT ROUND-TRIPPED'} "
                    f"(load {up['loadavg_before'][0]}; {up['from']})",
                    file=sys.stderr,
                )
    return {"version": version, "contents": contents}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Media memory benchmark (module docstring).")
    parser.add_argument(
        "--label", default="latest", help="names the run in reports (default latest)"
    )
    add_engines_option(parser, list(ENGINES))
    parser.add_argument("--mib", type=int, default=100, help="medium size in MiB (default 100)")
    parser.add_argument("--runs", type=int, default=3, help="per engine and content (default 3)")
    parser.add_argument(
        "--content",
        type=_content_arg,
        default=list(CONTENTS),
        help="random, repeated or both (default both; PostgreSQL compresses repeated bytes)",
    )
    parser.add_argument("--pool-size", type=int, default=10, help="PostgreSQL pool (default 10)")
    parser.add_argument("--out", type=Path, help="default bench/results/media-memory.json")
    args = parser.parse_args(argv)
    if not 1 <= args.mib <= 150:
        parser.error("--mib: chinwag takes media of at most 150 MiB")
    out = args.out or BENCH / "results" / "media-memory.json"

    source = measured_tree()
    started = time.perf_counter()
    engines: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="chinwag-bench-") as tmp:
        work = Path(tmp)
        files = {}
        for content in args.content:
            file = work / f"{content}.bin"
            files[content] = (file, write_file(file, content, args.mib * MIB))
        for engine in args.engines:
            engines[engine] = run_engine(engine, work, files, args)
    results = results_json(args.label, source, engines, vars(args), time.perf_counter() - started)
    print(report({args.label: results}))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
