"""A local stand-in of Odoo's external XML-RPC API, written from Odoo's documentation: `/xmlrpc/2/common`
authenticate (a user's login and an API key in place of the password; False when refused) and `/xmlrpc/2/object`
execute_kw (search_read with a domain, order, limit and offset; read; message_post) on the models the connector
uses: account.move, account.move.line, res.partner, product.product, account.tax. A wrong key on execute_kw is
Odoo's "Access Denied" fault. Many2one fields are answered as [id, display name], as Odoo does. A real HTTP server on
a free local port; the tests hold its state."""

import threading
import xmlrpc.client
from datetime import UTC, datetime, timedelta
from socketserver import ThreadingMixIn
from xmlrpc.server import MultiPathXMLRPCServer, SimpleXMLRPCDispatcher, SimpleXMLRPCRequestHandler

DB, LOGIN, API_KEY = "kola-books", "accounts@kolafoods.ng", "7c3f9e0d1b2a4c5d6e7f8091a2b3c4d5e6f70819"
UID = 2
MODELS = ("account.move", "account.move.line", "res.partner", "product.product", "account.tax")


def _matches(record: dict, domain: list) -> bool:
    for field, op, value in domain:
        have = record.get(field)
        if isinstance(have, list) and field.endswith("_id"):
            have = have[0] if have else False
        if op == "=" and have != value:
            return False
        if op == "in" and have not in value:
            return False
        if op in (">", ">=", "<") and not (have and {">": have > value, ">=": have >= value, "<": have < value}[op]):
            return False
    return True


class OdooStandIn:
    def __init__(self):
        self.records: dict[str, dict[int, dict]] = {model: {} for model in MODELS}
        self.messages: dict[int, list[str]] = {}  # move id → bodies posted on it
        self.clock = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
        self.lock = threading.Lock()

    def tick(self) -> str:
        self.clock += timedelta(seconds=1)
        return self.clock.strftime("%Y-%m-%d %H:%M:%S")  # Odoo's UTC datetimes

    def add(self, model: str, **fields) -> dict:
        ident = len(self.records[model]) + 1
        self.records[model][ident] = {"id": ident, "write_date": self.tick(), **fields}
        return self.records[model][ident]

    def touch(self, model: str, ident: int, **fields) -> dict:
        self.records[model][ident].update(fields, write_date=self.tick())
        return self.records[model][ident]

    # --- /xmlrpc/2/common ---
    def authenticate(self, db, login, password, user_agent_env):
        if db != DB:
            raise xmlrpc.client.Fault(1, f'psycopg2.OperationalError: FATAL:  database "{db}" does not exist')
        return UID if (login, password) == (LOGIN, API_KEY) else False

    def version(self):
        return {"server_version": "17.0", "server_serie": "17.0", "protocol_version": 1}

    # --- /xmlrpc/2/object ---
    def execute_kw(self, db, uid, password, model, method, args, kwargs=None):
        kwargs = kwargs or {}
        if db != DB:
            raise xmlrpc.client.Fault(1, f'psycopg2.OperationalError: FATAL:  database "{db}" does not exist')
        if uid != UID or password != API_KEY:
            raise xmlrpc.client.Fault(3, "Access Denied")
        if model not in self.records:
            raise xmlrpc.client.Fault(2, f"Object {model} doesn't exist")
        with self.lock:
            table = self.records[model]
            if method == "search_read":
                found = [row for row in table.values() if _matches(row, args[0] if args else [])]
                for key in reversed([part.strip() for part in kwargs.get("order", "id asc").split(",")]):
                    name, _, direction = key.partition(" ")
                    found.sort(key=lambda row, name=name: row.get(name) or "", reverse=direction == "desc")
                offset = kwargs.get("offset", 0)
                found = found[offset : offset + kwargs["limit"]] if kwargs.get("limit") else found[offset:]
                return [self._fields(row, kwargs.get("fields")) for row in found]
            if method == "read":
                missing = [ident for ident in args[0] if ident not in table]
                if missing:
                    raise xmlrpc.client.Fault(2, f"Record does not exist or has been deleted. (Records: {missing})")
                return [self._fields(table[ident], kwargs.get("fields")) for ident in args[0]]
            if method == "message_post" and model == "account.move":
                for ident in args[0]:
                    self.messages.setdefault(ident, []).append(kwargs.get("body", ""))
                return len(self.messages)  # the new mail.message's id
        raise xmlrpc.client.Fault(2, f"The method '{method}' does not exist on the model '{model}'")

    @staticmethod
    def _fields(row: dict, fields) -> dict:
        if not fields:
            return dict(row)
        return {"id": row["id"]} | {name: row.get(name, False) for name in fields}  # an unset field reads False


class _Server(ThreadingMixIn, MultiPathXMLRPCServer):
    daemon_threads = True


class _Handler(SimpleXMLRPCRequestHandler):
    rpc_paths = ("/xmlrpc/2/common", "/xmlrpc/2/object")

    def log_message(self, *args):
        pass


class Server:
    def __init__(self):
        self.standin = OdooStandIn()
        self.httpd = _Server(("127.0.0.1", 0), requestHandler=_Handler, allow_none=True, logRequests=False)
        for path, names in (("/xmlrpc/2/common", ("authenticate", "version")), ("/xmlrpc/2/object", ("execute_kw",))):
            dispatcher = SimpleXMLRPCDispatcher(allow_none=True)
            for name in names:
                dispatcher.register_function(getattr(self.standin, name), name)
            self.httpd.add_dispatcher(path, dispatcher)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
