"""Drive a server with wrk (a C load generator) over a pool of distinct, pre-built requests.

A Python client on this 2-core machine spends as much CPU as the server it measures; wrk does not.
Signing cannot happen inside wrk (HMAC in Lua would be the bottleneck), so every request is built
and signed here and written to one Lua file per wrk thread (its share of the pool); each thread
formats its share once and walks it. Every answer is checked in Lua (``Check``: its status, a
substring of its body, optionally a value captured from the body and counted per value).

Two modes:
* ``seconds=S``: wrk runs for S seconds; the pool must outlast it, and the result says if it did
  not (a wrapped pool resends requests: for a receiver, duplicates, a cheaper path).
* ``once=True``: every pool entry is sent exactly once. A connection that finds its thread's share
  all sent waits (``delay()``) instead of sending more, a thread stops itself
  (``wrk.thread:stop()``) when its share has been answered and says so on stdout, and wrk is then
  interrupted (wrk's main thread would otherwise sleep out ``-d``). The time is measured in Lua,
  from the first request sent to the last answer received. With ``pace_ms`` every connection waits
  before each send, a random time of that mean (exponential, as independent shoppers arrive), so C
  connections offer about C / (pace + latency) requests a second: the latency of a server below its
  capacity, as shoppers meet it, not only at saturation.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

SCRIPT = r"""
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } wrk_timespec;
           int clock_gettime(int clock, wrk_timespec *out); ]]
local clock = ffi.new("wrk_timespec")
local function now()  -- CLOCK_MONOTONIC: comparable across wrk's threads
  ffi.C.clock_gettime(1, clock)
  return tonumber(clock.tv_sec) + tonumber(clock.tv_nsec) / 1e9
end

local once = os.getenv("WRK_ONCE") == "1"
local pace = tonumber(os.getenv("WRK_PACE_MS")) or 0
local want_status = tonumber(os.getenv("WRK_STATUS"))
local contains = os.getenv("WRK_CONTAINS")
local tally = os.getenv("WRK_TALLY")
local all = {}

function setup(thread)  -- wrk's main state: number the threads, keep them for done()
  table.insert(all, thread)
  thread:set("number", #all - 1)
end

function init(args)  -- each thread's own state: its own share of the pool, formatted once
  local share = dofile(os.getenv("WRK_POOL") .. "." .. number .. ".lua")
  requests = {}
  for i, r in ipairs(share) do requests[i] = wrk.format(r[1], r[2], r[3], r[4]) end
  share = nil
  collectgarbage()
  size, index, reserved, answered = #requests, 0, 0, 0
  refused, wrapped, extra, started, finished, counts = 0, 0, 0, 0, 0, {}
  verifying = number == 0  -- wrk calls thread 0's request() once to check it before the run
  math.randomseed(7919 * (number + 1))  -- the same waits in every run
end

if once then
  function delay()  -- called before each send: a connection finding the share all sent waits
    if reserved < size then
      reserved = reserved + 1
      if pace == 0 then return 0 end
      return -pace * math.log(1 - math.random())  -- exponential: independent shoppers, no lockstep
    end
    return 3600000
  end
end

function request()
  if verifying then  -- wrk's own check of the script (thread 0, before it runs): never sent
    verifying = false
    return requests[1]
  end
  if started == 0 then started = now() end
  if once and index >= reserved then  -- a send delay() did not allow: a reconnect lost a request
    extra = extra + 1
    return requests[math.max(index, 1)]
  end
  index = index + 1
  if index > size then
    wrapped, index = wrapped + 1, 1
  end
  return requests[index]
end

function response(status, headers, body)
  answered = answered + 1
  if status ~= want_status or (contains ~= "" and not body:find(contains, 1, true)) then
    refused = refused + 1
  elseif tally ~= "" then
    local key = body:match(tally) or "(none)"
    counts[key] = (counts[key] or 0) + 1
  end
  finished = now()
  if once and answered == size then
    io.write("WRK_THREAD_DONE\n")
    io.stdout:flush()
    wrk.thread:stop()
  end
end

local function quoted(text)
  return '"' .. text:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

function done(summary, latency, _)
  local sums = {answered = 0, refused = 0, wrapped = 0, extra = 0}
  local first, last, counts, sizes = nil, 0, {}, {}
  for _, t in ipairs(all) do
    for name in pairs(sums) do sums[name] = sums[name] + t:get(name) end
    local began = t:get("started")
    if began > 0 and (first == nil or began < first) then first = began end
    last = math.max(last, t:get("finished"))
    for key, n in pairs(t:get("counts")) do counts[key] = (counts[key] or 0) + n end
    table.insert(sizes, t:get("size"))
  end
  local tallied = {}
  for key, n in pairs(counts) do table.insert(tallied, quoted(key) .. ": " .. n) end
  local errors = summary.errors
  io.write(string.format('WRK_RESULT {"requests": %d, "answered": %d, "seconds": %.6f, ' ..
    '"wrk_seconds": %.6f, "p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "refused": %d, ' ..
    '"wrapped": %d, "extra": %d, "errors": %d, "shares": [%s], "tally": {%s}}\n',
    summary.requests, sums.answered, first and last - first or 0, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    sums.refused, sums.wrapped, sums.extra,
    errors.connect + errors.read + errors.write + errors.timeout,
    table.concat(sizes, ", "), table.concat(tallied, ", ")))
end
"""

CHUNK = 2000  # requests per Lua function (each holds a dozen constants)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None = None


@dataclass(frozen=True)
class Check:
    """What every answer must be: ``status``, with ``contains`` in its body; ``tally``, a Lua
    pattern with one capture, counts the answers per captured value (``(none)`` if it does not
    match), so a caller can compare them with the requests it built."""

    status: int = 200
    contains: str = ""
    tally: str = ""


@dataclass(frozen=True)
class Pool:
    """A pool written for ``threads`` wrk threads: ``prefix.<n>.lua`` holds thread n's share."""

    prefix: Path
    threads: int
    size: int
    shares: list[int] = field(default_factory=list)


def _lua_string(text: str) -> str:
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def write_pool(requests: list[Request], prefix: Path, threads: int = 2) -> Pool:
    """The requests as Lua tables of {method, path, headers, body}, request i in thread i % threads'
    file, built in chunks: one Lua function holds at most 65,536 constants."""
    shares = []
    for number in range(threads):
        share = requests[number::threads]
        shares.append(len(share))
        with Path(f"{prefix}.{number}.lua").open("w", encoding="utf-8") as out:
            out.write("local pool = {}\n")
            for start in range(0, len(share), CHUNK):
                out.write(";(function() local rows = {\n")
                for r in share[start:start + CHUNK]:
                    fields = ", ".join(f"[ {_lua_string(k)} ] = {_lua_string(v)}"
                                       for k, v in r.headers.items())
                    body = "nil" if r.body is None else _lua_string(r.body.decode())
                    out.write(f"{{{_lua_string(r.method)}, {_lua_string(r.path)}, {{{fields}}}, {body}}},\n")
                out.write("} for _, row in ipairs(rows) do pool[#pool + 1] = row end end)()\n")
            out.write("return pool\n")
    return Pool(prefix, threads, len(requests), shares)


def run(url: str, pool: Pool, workdir: Path, *, connections: int, check: Check = Check(),
        seconds: int | None = None, once: bool = False, pace_ms: int = 0, timeout: int = 600) -> dict:
    """One wrk run against ``url``: requests/s, p50/p95/p99 latency, answers refused by ``check``,
    socket errors, the tally; ``seconds`` for a timed run, ``once`` to send each entry once (and
    ``pace_ms``, each connection's wait before a send)."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    if once == (seconds is not None):
        raise ValueError("either seconds= (a timed run) or once=True (each request sent once)")
    if pace_ms and not once:
        raise ValueError("pace_ms paces a run that sends each request once")
    script = workdir / "wrk_pool.lua"
    script.write_text(SCRIPT, encoding="utf-8")
    duration = timeout if once else seconds
    proc = subprocess.Popen(
        ["wrk", f"-t{pool.threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "30s",
         "--latency", "-s", str(script), url],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        env={"WRK_POOL": str(pool.prefix), "WRK_ONCE": "1" if once else "0", "WRK_PACE_MS": str(pace_ms),
             "WRK_STATUS": str(check.status), "WRK_CONTAINS": check.contains, "WRK_TALLY": check.tally,
             "PATH": "/usr/bin:/bin"})
    lines, finished = [], 0
    deadline = time.monotonic() + duration + 120
    try:
        for line in proc.stdout:
            lines.append(line)
            finished += line.startswith("WRK_THREAD_DONE")
            if once and finished == pool.threads:
                proc.send_signal(signal.SIGINT)  # every share answered: wake wrk's main thread
            if time.monotonic() > deadline:
                break
        proc.wait(timeout=max(1, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = proc.stderr.read()
    line = next((row for row in lines if row.startswith("WRK_RESULT ")), None)
    if line is None:
            raise RuntimeError(f"wrk printed no result:\n{''.join(lines)}\n{stderr}")
    figures = json.loads(line.removeprefix("WRK_RESULT "))
    if not once:  # wrk's own duration; in once mode it includes the wait for the interrupt
        figures["seconds"] = figures["wrk_seconds"]
    figures["rate"] = figures["answered"] / figures["seconds"] if figures["seconds"] else 0.0
    figures["complete"] = figures["answered"] == pool.size if once else None
    return figures


def problems(figures: dict, pool: Pool) -> list[str]:
    """What makes a run's figures wrong: refused answers, socket errors, requests lost or left."""
    found = [f"{figures['refused']} answers failed the check"] if figures["refused"] else []
    found += [f"{figures['errors']} socket errors"] if figures["errors"] else []
    found += [f"{figures['extra']} requests lost to reconnects"] if figures["extra"] else []
    if figures["complete"] is False:
        found.append(f"only {figures['answered']} of {pool.size} answered")
    if figures["wrapped"]:
        found.append(f"the pool of {pool.size} wrapped (entries resent): make it larger")
    return found
