"""Load from a separate process: wrk (Debian's package), driven by the Lua scripts in bench/lua/."""

import json
import os
import shutil
import subprocess
from pathlib import Path

LUA = Path(__file__).resolve().parent / "lua"


def wrk(url: str, script: str, *, key: str, connections: int, seconds: int, extra_env: dict | None = None) -> dict:
    """Runs wrk and returns its figures: requests, rps, p50_ms, p99_ms, max_ms, non_2xx, socket_errors."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: `sudo apt-get install wrk` (make bench does this).")
    env = {**os.environ, "FLOWPOINT_KEY": key, "BENCH_LUA": str(LUA), **(extra_env or {})}
    threads = min(2, connections)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    result = subprocess.run(
        [*command, "-s", str(LUA / script), url], env=env, capture_output=True, text=True, check=True
    )
    for line in result.stdout.splitlines():
        if line.startswith("WRK_JSON "):
            return json.loads(line.removeprefix("WRK_JSON "))
    raise RuntimeError(f"wrk printed no figures:\n{result.stdout}\n{result.stderr}")
