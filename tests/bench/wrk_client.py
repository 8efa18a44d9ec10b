"""Drive a server with wrk (a C load generator) over a pool of distinct, pre-signed deliveries.

A Python client on this 2-core machine spends as much CPU as the server it measures; wrk does not.
Signing cannot happen inside wrk (HMAC in Lua would be the bottleneck), so every delivery is
signed here, written to a Lua table, and each wrk thread walks its own share of the pool. wrk runs
for a fixed duration; the pool must outlast it, and the result says if it did not (a wrapped pool
resends deliveries, which the receiver answers as duplicates: a cheaper path).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

SCRIPT = r"""
local threads = tonumber(os.getenv("WRK_THREADS"))
local all = {}
function setup(thread)  -- wrk's main state: number the threads, keep them for done()
  table.insert(all, thread)
  thread:set("first", #all - 1)
end
function init(args)  -- each thread's own state: its own copy of the pool, its own share of it
  pool = dofile(os.getenv("WRK_POOL"))
  index, refused, wrapped = first + 1, 0, 0
end
function request()
  local d = pool[index]
  if d == nil then
    wrapped, index = wrapped + 1, first + 1
    d = pool[index]
  end
  index = index + threads
  return wrk.format("POST", d[1], d[2], d[3])
end
function response(status, headers, body)
  if status ~= 200 or not body:find('"accepted"', 1, true) then refused = refused + 1 end
end
function done(summary, latency, requests)
  local refused, wrapped = 0, 0
  for _, t in ipairs(all) do refused = refused + t:get("refused"); wrapped = wrapped + t:get("wrapped") end
  local errors = summary.errors
  io.write(string.format('WRK_RESULT {"requests": %d, "seconds": %.6f, "p50_ms": %.3f, ' ..
    '"p99_ms": %.3f, "refused": %d, "wrapped": %d, "errors": %d}\n', summary.requests,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    refused, wrapped, errors.connect + errors.read + errors.write + errors.timeout))
end
"""

CHUNK = 2000  # deliveries per Lua function (each holds a dozen constants)


def _lua_string(text: str) -> str:
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def write_pool(deliveries: list[tuple[str, bytes, dict[str, str]]], path: Path) -> None:
    """The deliveries as a Lua table of {path, headers, body}, built in chunks: one Lua function
    holds at most 65,536 constants."""
    with path.open("w", encoding="utf-8") as out:
        out.write("local pool = {}\n")
        for start in range(0, len(deliveries), CHUNK):
            out.write(";(function() local rows = {\n")
            for url_path, body, headers in deliveries[start:start + CHUNK]:
                fields = ", ".join(f"[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in headers.items())
                out.write(f"{{{_lua_string(url_path)}, {{{fields}}}, {_lua_string(body.decode())}}},\n")
            out.write("} for _, row in ipairs(rows) do pool[#pool + 1] = row end end)()\n")
        out.write("return pool\n")


def run(url: str, pool: Path, workdir: Path, *, seconds: int, threads: int, connections: int) -> dict:
    """One wrk run against ``url``; its requests/s, p50 and p99 latency, refused and wrapped counts."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    script = workdir / "deliveries.lua"
    script.write_text(SCRIPT, encoding="utf-8")
    result = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True, text=True, timeout=seconds + 120,
        env={"WRK_POOL": str(pool), "WRK_THREADS": str(threads), "PATH": "/usr/bin:/bin"})
    line = next((row for row in result.stdout.splitlines() if row.startswith("WRK_RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{result.stdout}\n{result.stderr}")
    figures = json.loads(line.removeprefix("WRK_RESULT "))
    figures["rate"] = figures["requests"] / figures["seconds"]
    return figures
