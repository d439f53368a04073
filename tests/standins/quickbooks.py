"""A local stand-in of QuickBooks Online, written from Intuit's public reference: the OAuth 2.0 discovery
document, authorization endpoint and token endpoint (oauth2/v1/tokens/bearer: authorization_code and refresh_token
grants, a new refresh token on each refresh, expired access tokens refused), and of the Accounting API v3 only what
the connector uses: the query endpoint (GET ?query= or POST application/text; QueryResponse with startPosition and
maxResults), reads by id, and the sparse update of an invoice or credit memo with its SyncToken. Errors are Intuit's
Fault objects. A real HTTP server on a free local port; the tests hold its state."""

import base64
import json
import re
import secrets
import threading
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

CLIENT_ID, CLIENT_SECRET = "ABflowpointclientid", "flowpoint-client-secret"
QUERY = re.compile(
    r"^select \* from (?P<entity>\w+)(?: where (?P<where>.+?))?(?: orderby (?P<order>[\w.]+)(?: (?:asc|desc))?)?"
    r"(?: startposition (?P<start>\d+))?(?: maxresults (?P<max>\d+))?\s*$",
    re.IGNORECASE,
)


PACIFIC = timezone(timedelta(hours=-8))  # Intuit answers times in the company's own offset


def _stamp(when: datetime) -> str:
    return when.astimezone(PACIFIC).isoformat(timespec="seconds")


class QuickBooksStandIn:
    def __init__(self):
        self.realm = "9341455000000001"
        self.entities: dict[str, dict[str, dict]] = {
            k: {} for k in ("Invoice", "CreditMemo", "Customer", "Item", "TaxCode")
        }
        self.codes: dict[str, str] = {}  # authorization code → redirect URI
        self.access: dict[str, datetime] = {}  # access token → when it expires
        self.refresh: set[str] = set()
        self.refreshes = 0
        self.updates: list[dict] = []  # every sparse update, as sent
        self.clock = datetime.now(UTC) - timedelta(hours=1)
        self.lock = threading.Lock()

    # --- the books ---
    def tick(self) -> str:
        self.clock += timedelta(seconds=1)
        return _stamp(self.clock)

    def add(self, entity: str, **fields) -> dict:
        ident = str(len(self.entities[entity]) + 1)
        stamp = self.tick()
        record = {
            "Id": ident,
            "SyncToken": "0",
            "domain": "QBO",
            "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
        }
        self.entities[entity][ident] = record | fields
        return self.entities[entity][ident]

    def touch(self, entity: str, ident: str, **fields) -> dict:
        record = self.entities[entity][ident]
        record.update(fields)
        record["SyncToken"] = str(int(record["SyncToken"]) + 1)
        record["MetaData"]["LastUpdatedTime"] = self.tick()
        return record

    def expire_access_tokens(self):
        for token in self.access:
            self.access[token] = datetime.now(UTC) - timedelta(seconds=1)

    # --- OAuth ---
    def _issue(self) -> dict:
        access, refresh = secrets.token_urlsafe(32), "AB11" + secrets.token_urlsafe(32)
        self.access[access] = datetime.now(UTC) + timedelta(hours=1)
        self.refresh.add(refresh)
        return {
            "token_type": "bearer",
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": 3600,
            "x_refresh_token_expires_in": 8726400,
        }


class _Handler(BaseHTTPRequestHandler):
    standin: QuickBooksStandIn
    base: str

    def log_message(self, *args):
        pass

    def _send(self, status: int, body: dict, headers: dict | None = None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _fault(self, status: int, kind: str, message: str, detail: str, code: str):
        now = datetime.now(UTC).isoformat()
        fault = {"Error": [{"Message": message, "Detail": detail, "code": code}], "type": kind}
        self._send(status, {"Fault": fault, "time": now})

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self):
        url = urlparse(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        if url.path == "/.well-known/openid_configuration/":
            return self._send(
                200,
                {
                    "issuer": "https://oauth.platform.intuit.com/op/v1",
                    "authorization_endpoint": f"{self.base}/connect/oauth2",
                    "token_endpoint": f"{self.base}/oauth2/v1/tokens/bearer",
                    "userinfo_endpoint": f"{self.base}/v1/openid_connect/userinfo",
                    "revocation_endpoint": f"{self.base}/oauth2/v1/tokens/revoke",
                    "jwks_uri": f"{self.base}/op/v1/jwks",
                },
            )
        if url.path == "/connect/oauth2":  # the company's admin allows access at once
            if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
                return self._send(400, {"error": "invalid_request"})
            code = secrets.token_urlsafe(16)
            self.standin.codes[code] = query["redirect_uri"]
            answer = urlencode({"code": code, "state": query.get("state", ""), "realmId": self.standin.realm})
            self.send_response(302)
            self.send_header("Location", f"{query['redirect_uri']}?{answer}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        return self._api("GET", url, query, b"")

    def do_POST(self):
        url = urlparse(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        body = self._body()
        if url.path == "/oauth2/v1/tokens/bearer":
            return self._token(body)
        return self._api("POST", url, query, body)

    def _token(self, body: bytes):
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            return self._send(401, {"error": "invalid_client"})
        form = {key: values[0] for key, values in parse_qs(body.decode()).items()}
        with self.standin.lock:
            if form.get("grant_type") == "authorization_code":
                if self.standin.codes.pop(form.get("code", ""), None) != form.get("redirect_uri"):
                    return self._send(400, {"error": "invalid_grant"})
                return self._send(200, self.standin._issue())
            if form.get("grant_type") == "refresh_token":
                if form.get("refresh_token") not in self.standin.refresh:
                    return self._send(400, {"error": "invalid_grant"})
                self.standin.refresh.discard(form["refresh_token"])  # spent: the new one must be kept
                self.standin.refreshes += 1
                return self._send(200, self.standin._issue())
        return self._send(400, {"error": "unsupported_grant_type"})

    def _api(self, method: str, url, query: dict, body: bytes):
        match = re.fullmatch(r"/v3/company/(\w+)/(\w+)(?:/(\w+))?", url.path)
        if not match:
            return self._send(404, {"error": "not found"})
        token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        expires = self.standin.access.get(token)
        if expires is None or expires <= datetime.now(UTC):
            return self._fault(
                401,
                "AuthenticationFault",
                "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                "Token expired" if expires else "Token invalid",
                "3200",
            )
        realm, resource, ident = match.groups()
        if realm != self.standin.realm:
            return self._fault(403, "AuthorizationFault", "message=ApplicationAuthorizationFailed", "", "003100")
        with self.standin.lock:
            if resource == "query":
                text = query.get("query") if method == "GET" else body.decode()
                return self._query(text or "")
            entity = next((name for name in self.standin.entities if name.lower() == resource), None)
            if entity is None:
                return self._fault(400, "ValidationFault", "Unsupported Operation", resource, "500")
            if method == "GET":
                record = self.standin.entities[entity].get(ident or "")
                if record is None:
                    return self._fault(400, "ValidationFault", "Object Not Found", f"{entity} {ident} not found", "610")
                return self._send(200, {entity: record, "time": datetime.now(UTC).isoformat()})
            return self._update(entity, json.loads(body or b"{}"))

    def _query(self, text: str):
        found = QUERY.match(text.strip())
        if not found or found["entity"] not in self.standin.entities:
            return self._fault(400, "ValidationFault", "QueryParserError: Encountered an error", text, "4000")
        rows = list(self.standin.entities[found["entity"]].values())
        for condition in re.split(r"\s+and\s+", found["where"] or "", flags=re.IGNORECASE):
            if not condition:
                continue
            when = re.fullmatch(r"Metadata\.LastUpdatedTime\s*(>=|>)\s*'([^']+)'", condition.strip())
            if not when:
                return self._fault(400, "ValidationFault", "QueryParserError", condition, "4000")
            since = datetime.fromisoformat(when[2].replace("Z", "+00:00"))

            def after(row, op=when[1], since=since):
                at = datetime.fromisoformat(row["MetaData"]["LastUpdatedTime"])
                return at >= since if op == ">=" else at > since

            rows = [row for row in rows if after(row)]
        if found["order"]:
            rows.sort(key=lambda row: datetime.fromisoformat(row["MetaData"]["LastUpdatedTime"]))
        start, most = int(found["start"] or 1), int(found["max"] or 100)
        page = rows[start - 1 : start - 1 + most]
        answer = {"startPosition": start, "maxResults": len(page), found["entity"]: page} if page else {}
        return self._send(200, {"QueryResponse": answer, "time": datetime.now(UTC).isoformat()})

    def _update(self, entity: str, sent: dict):
        record = self.standin.entities[entity].get(str(sent.get("Id")))
        if record is None:
            return self._fault(400, "ValidationFault", "Object Not Found", f"{entity} {sent.get('Id')}", "610")
        if not sent.get("sparse"):
            return self._fault(400, "ValidationFault", "Required param missing", "only sparse updates here", "2020")
        if sent.get("SyncToken") != record["SyncToken"]:
            return self._fault(
                400,
                "ValidationFault",
                "Stale Object Error",
                f"You and someone else are editing the same object. SyncToken {sent.get('SyncToken')}",
                "5010",
            )
        self.standin.updates.append({"entity": entity, **sent})
        changes = {key: value for key, value in sent.items() if key not in ("Id", "SyncToken", "sparse")}
        record = self.standin.touch(entity, record["Id"], **changes)
        return self._send(200, {entity: record, "time": datetime.now(UTC).isoformat()})


class Server:
    def __init__(self):
        self.standin = QuickBooksStandIn()
        handler = type("Handler", (_Handler,), {"standin": self.standin})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        handler.base = self.url
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
