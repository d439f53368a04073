"""A stand-in NRS for the bench: answers every call after N ms, to hundreds of callers at once, on one thread.

    python bench/nrs_standin.py --port 8765 --latency-ms 300

It speaks NRS's envelopes (../shared/NRS.md) for the calls a submission makes, accepts any credentials and
checks no document: it stands in for NRS's *latency*, not for its rules (the embedded sandbox does those).

    GET  /api                                   {"healthy": true}
    POST /api/v1/invoice/irn/validate           {"code": 200, "data": {"ok": true}}
    POST /api/v1/invoice/validate               the same
    POST /api/v1/invoice/sign                   the same; a second sign of one IRN gets NRS's "kindly try again
                                                later" 400, and is counted (`signed_twice`)
    POST /api/v1/invoice/transmit/{IRN}         {"code": 200, "data": {"ok": true}}
    GET  /api/v1/invoice/confirm/{IRN}          200 with the invoice once signed, else NRS's 404 envelope
    GET  /api/v1/entity/{ID}                    200 with an entity
    POST /api/v1/utilities/verify-tin/          200 with a taxpayer
    anything else                               NRS's "no route found" 404 envelope

The bench's own routes answer at once:

    GET  /_standin/stats                        calls per route, signs, IRNs signed twice, calls in flight (now,
                                                and the peak since the last reset, overall and per API key)
    POST /_standin/latency?ms=300               the delay from now on
    POST /_standin/reset                        zero the call counts and peaks (what was signed is kept)

asyncio streams, HTTP/1.1 with keep-alive: a call in its delay is a sleeping coroutine, so a thousand slow calls
in flight cost next to no CPU. Only ever binds to 127.0.0.1.
"""

import argparse
import asyncio
import json
import re
import signal
import time
import uuid
from collections import Counter
from urllib.parse import parse_qs, urlsplit

NO_ROUTE = "no route found for this path. kindly check your request and try again"
TRY_LATER = "unable to complete this operation at this time, kindly try again later"
VALIDATION_PUBLIC = (
    "validation failed: we are unable to process your request. also confirm this is not a duplicate request"
)
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 413: "Payload Too Large"}
MAX_BODY = 8 * 1024 * 1024

# Path segments that name one invoice or business become a placeholder in the call counts.
_ROUTES = (
    (re.compile(r"^/api/v1/invoice/transmit/lookup/[^/]+$"), "/api/v1/invoice/transmit/lookup/{irn}"),
    (re.compile(r"^/api/v1/invoice/(transmit|confirm|download|update)/[^/]+$"), r"/api/v1/invoice/\1/{irn}"),
    (re.compile(r"^/api/v1/entity/[^/]+$"), "/api/v1/entity/{id}"),
)


def route_name(method: str, path: str) -> str:
    for pattern, name in _ROUTES:
        if pattern.match(path):
            return f"{method} {pattern.sub(name, path)}"
    return f"{method} {path}"


def ok(data=None) -> tuple[int, dict]:
    return 200, {"code": 200, "data": data if data is not None else {"ok": True}}


def error(status: int, details: str, public_message: str, handler: str = "invoice_actions") -> tuple[int, dict]:
    body = {
        "code": status,
        "data": None,
        "message": "error has occurred",
        "error": {"id": str(uuid.uuid4()), "handler": handler, "details": details, "public_message": public_message},
    }
    return status, body


def no_route() -> tuple[int, dict]:
    return 404, {"code": 404, "data": None, "message": NO_ROUTE}


class StandIn:
    def __init__(self, latency_ms: float):
        self.latency_ms = float(latency_ms)
        self.started = time.monotonic()
        self.signed: dict[str, float] = {}  # IRN -> when it was first signed (epoch seconds)
        self.signs = Counter()  # IRN -> sign calls
        self.transmitted_unsigned = 0
        self.in_flight = 0
        self.key_in_flight = Counter()  # API key -> its calls in flight now
        self.reset()

    def reset(self) -> None:
        """A new window: call counts from zero, peaks from what is in flight now."""
        self.calls = Counter()
        self.peak = self.in_flight
        self.key_peak = Counter({key: n for key, n in self.key_in_flight.items() if n})
        self.window_started = time.monotonic()

    # --- NRS ---------------------------------------------------------------------------------------------

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, dict]:
        path = path.rstrip("/") or "/"
        if path == "/api":
            return (200, {"healthy": True}) if method == "GET" else no_route()
        if method == "POST" and path in ("/api/v1/invoice/irn/validate", "/api/v1/invoice/validate"):
            return ok()
        if method == "POST" and path == "/api/v1/invoice/sign":
            return self.sign(body)
        if method == "POST" and path.startswith("/api/v1/invoice/transmit/") and path.count("/") == 5:
            if path.rsplit("/", 1)[1] not in self.signed:
                self.transmitted_unsigned += 1
            return ok()
        if method == "GET" and path.startswith("/api/v1/invoice/confirm/"):
            irn = path.rsplit("/", 1)[1]
            if irn not in self.signed:
                return error(404, f"invoice with irn {irn} not found", "invoice not found")
            signed_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.signed[irn]))
            return ok({"irn": irn, "payment_status": "PENDING", "signed_at": signed_at, "transmitted": False})
        if method == "GET" and path.startswith("/api/v1/entity/"):
            entity = path.rsplit("/", 1)[1]
            return ok(
                {
                    "id": entity,
                    "name": "Stand-in Business Ltd",
                    "tin": "20198222-0002",
                    "email": "billing@standin.example",
                    "service_id": "94ND90NR",
                    "irn_template": "{{invoice_id}}-{{service_id}}-{{YYYYMMDD}}",
                }
            )
        if method == "POST" and path == "/api/v1/utilities/verify-tin":
            tin = str(_json(body).get("tin") or "").strip()
            if len(tin) < 5:
                return error(400, "tin must be at least in length or value 5", VALIDATION_PUBLIC, handler="utilities")
            return ok({"tin": tin, "taxpayer_name": f"Stand-in Taxpayer {tin}", "status": "ACTIVE"})
        return no_route()

    def sign(self, body: bytes) -> tuple[int, dict]:
        irn = str(_json(body).get("irn") or "")
        if not irn:
            return error(400, "invoicerequest.invoice.irn is required", VALIDATION_PUBLIC)
        self.signs[irn] += 1
        if irn in self.signed:
            return error(400, TRY_LATER, TRY_LATER)  # what MBS has been seen to answer for a second sign
        self.signed[irn] = time.time()
        return ok()

    # --- the bench's own routes ----------------------------------------------------------------------------

    def control(self, method: str, path: str, query: str) -> tuple[int, dict]:
        if path == "/_standin/stats" and method == "GET":
            return 200, self.stats()
        if path == "/_standin/latency" and method == "POST":
            values = parse_qs(query).get("ms")
            if not values:
                return 400, {"error": "give ?ms=N"}
            self.latency_ms = max(0.0, float(values[0]))
            return 200, {"latency_ms": self.latency_ms}
        if path == "/_standin/reset" and method == "POST":
            self.reset()
            return 200, self.stats()
        return no_route()

    def stats(self) -> dict:
        twice = sum(1 for count in self.signs.values() if count > 1)
        return {
            "latency_ms": self.latency_ms,
            "uptime_seconds": round(time.monotonic() - self.started, 1),
            "window_seconds": round(time.monotonic() - self.window_started, 1),
            "calls": dict(sorted(self.calls.items())),
            "calls_total": sum(self.calls.values()),
            "in_flight": self.in_flight,
            "peak_in_flight": self.peak,
            "peak_in_flight_per_key": max(self.key_peak.values(), default=0),
            "keys_seen": len(self.key_peak),
            "sign_calls": sum(self.signs.values()),
            "irns_signed": len(self.signed),
            "signed_twice": twice,
            "transmitted_unsigned": self.transmitted_unsigned,
        }

    # --- HTTP ----------------------------------------------------------------------------------------------

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                method, target, version, headers, body = request
                parts = urlsplit(target)
                if parts.path.startswith("/_standin/"):
                    status, payload = self.control(method, parts.path, parts.query)
                else:
                    status, payload = await self.nrs(method, parts.path, headers, body)
                keep = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
                writer.write(_response(status, payload, keep))
                await writer.drain()
                if not keep:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            writer.close()

    async def nrs(self, method: str, path: str, headers: dict, body: bytes) -> tuple[int, dict]:
        key = headers.get("x-api-key", "")
        self.calls[route_name(method, path.rstrip("/") or "/")] += 1
        self.in_flight += 1
        self.key_in_flight[key] += 1
        self.peak = max(self.peak, self.in_flight)
        self.key_peak[key] = max(self.key_peak[key], self.key_in_flight[key])
        try:
            if self.latency_ms:
                await asyncio.sleep(self.latency_ms / 1000)
            return self.answer(method, path, body)
        finally:
            self.in_flight -= 1
            self.key_in_flight[key] -= 1


def _json(body: bytes) -> dict:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


async def _read_request(reader: asyncio.StreamReader):
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None  # the caller closed its keep-alive connection
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            body += await reader.readexactly(size)
            await reader.readexactly(2)
            if len(body) > MAX_BODY:
                raise ValueError("body too large")
    else:
        length = int(headers.get("content-length") or 0)
        if length > MAX_BODY:
            raise ValueError("body too large")
        body = await reader.readexactly(length) if length else b""
    return method.upper(), target, version.strip(), headers, body


def _response(status: int, payload: dict, keep_alive: bool) -> bytes:
    body = json.dumps(payload, separators=(",", ":")).encode()
    head = (
        f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n"
    )
    return head.encode() + body


async def serve(port: int, latency_ms: float) -> None:
    standin = StandIn(latency_ms)
    server = await asyncio.start_server(standin.connection, "127.0.0.1", port, backlog=4096, limit=256 * 1024)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print(f"NRS stand-in on http://127.0.0.1:{port}, {latency_ms:g} ms per call", flush=True)
    async with server:
        await stop.wait()
    print(json.dumps(standin.stats()), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay before every NRS answer")
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.latency_ms))


if __name__ == "__main__":
    main()
