"""An SFTP folder: the business's system drops CSV files (many invoices each, the CSV upload's format) and UBL 2.1
XML files (one invoice each) into a folder on an SFTP server; each run reads the files that are complete, makes
their invoices, and moves each file to done/ or, if an invoice of it could not be made, to error/ with a report in
words beside it (<file>.errors.txt). Once NRS has answered, each invoice's IRN, status and QR payload are appended to
done/<file>.irn.csv, which is how the business's system gets its IRNs back (docs/sftp-connector.md).

Settings (connector.settings): host, port (22), username, folder, and host_key (the server's key, remembered at the
first connection: a different key later fails the run instead of handing the files to an impostor). Secrets
(connector.credentials, a JSON object): password, or private_key (OpenSSH or PEM text) with an optional passphrase.

Never half-written: a file is read only when its size and modification time are the same in two listings
SETTLE_SECONDS apart. Not its age: many SFTP clients (WinSCP, `sftp -p`) keep the original file's time, so an old
time says nothing about whether the upload has finished, and the server's clock need not agree with ours. A writer
that pauses longer than that mid-file should upload under a name ending .part or .tmp (or starting with a dot) and
rename it when done: those names are never read.

Never twice: each invoice is a SourceDocument keyed "<file name>#<invoice number>", which becomes at most one
invoice; a file dropped again finds its invoices made already and creates nothing, and a corrected file (same name)
retries only the invoices that failed. The move to done/ or error/ comes after every invoice is recorded, so a
crash in between only means the file is read again, creating nothing twice.
"""

import base64
import csv
import hashlib
import io
import json
import posixpath
import socket
import stat
import time
from contextlib import contextmanager

import paramiko
from django.utils import timezone

from integrations.connectors import sync
from integrations.connectors.models import Connector, SourceDocument
from integrations.connectors.reach import host_problem
from integrations.connectors.sync import Batch, Listed, MappingError, SourceUnreachable
from invoicing.batches.format import MAX_BYTES, FileProblem, Problem, Row, Table, group_rows, read_csv, too_large
from invoicing.batches.validation import validate_table
from invoicing.models import Invoice

KIND = "sftp"
SETTLE_SECONDS = 3  # between the two listings: more than the one-second grain of SFTP's file times
TIMEOUT = 20  # seconds for the connection, the login and each SFTP request
DONE, ERROR = "done", "error"
READ = (".csv", ".xml")
IN_PROGRESS = (".part", ".tmp", ".filepart", ".crdownload")
WHERE_TO_FIX = "Settings → Connectors"
IRN_COLUMNS = ("document_number", "irn", "status", "status_text", "qr_payload", "answered_at")


class SftpFolder:
    def fetch(self, connector: Connector) -> Batch:
        folder = _folder(connector)
        documents = []
        with _session(connector) as sftp, _broken(connector, "read the folder"):
            first = _listing(sftp, folder)
            if first:
                _settle(SETTLE_SECONDS)
            second = _listing(sftp, folder) if first else {}
            for name in sorted(second):
                size = second[name][0]
                if first.get(name) != second[name]:
                    continue  # still being written: the next run reads it
                if size > MAX_BYTES:
                    documents.append(_file_error(name, [too_large().message]))
                    continue
                with sftp.open(posixpath.join(folder, name), "rb") as handle:
                    handle.prefetch(size)
                    content = handle.read()
                if len(content) != size:
                    continue  # changed while read
                documents.extend(_documents(name, content))
        return Batch(documents=documents)  # no watermark: the folder itself is the state (read files move out)

    def to_invoice(self, connector: Connector, raw: dict) -> dict:
        if "problems" in raw:
            raise MappingError(_file_words(raw["file"], raw["problems"]))
        if raw.get("format") == "ubl":
            return ubl_body(base64.b64decode(raw["xml_base64"]))
        return _csv_body(connector, raw)

    def after_run(self, connector: Connector, batch: Batch, states: dict) -> None:
        """Each file read to done/, or to error/ with its report when one of its invoices could not be made."""
        files: dict[str, list[Listed]] = {}
        for listed in batch.documents:
            files.setdefault(listed.raw["file"], []).append(listed)
        if not files:
            return
        errors = dict(
            SourceDocument.objects.filter(
                connector=connector, source_id__in=list(states), state=SourceDocument.State.ERROR
            ).values_list("source_id", "error")
        )
        folder = _folder(connector)
        with _session(connector) as sftp, _broken(connector, "move the files read to done/ or error/"):
            for name, listed in files.items():
                failed = [item for item in listed if states.get(item.source_id) == SourceDocument.State.ERROR]
                place = posixpath.join(folder, ERROR if failed else DONE)
                _ensure_folder(sftp, place)
                stored = _free_name(sftp, place, name)
                try:
                    sftp.rename(posixpath.join(folder, name), posixpath.join(place, stored))
                except FileNotFoundError:
                    continue  # another run moved it first
                if failed:
                    with sftp.open(posixpath.join(place, f"{stored}.errors.txt"), "w") as report:
                        report.write(_report(name, listed, failed, errors).encode())

    def write_back(self, connector: Connector, document: SourceDocument, invoice: Invoice) -> None:
        """One line appended to done/<file>.irn.csv: the latest line of an invoice number is its state."""
        name = (document.raw or {}).get("file")
        if not name:
            return
        line = (
            invoice.document_number,
            invoice.irn,
            invoice.status,
            str(invoice.get_status_display()),
            invoice.qr_payload,
            timezone.localtime(timezone.now()).isoformat(timespec="seconds"),
        )
        place = posixpath.join(_folder(connector), DONE)
        path = posixpath.join(place, f"{name}.irn.csv")
        with _session(connector) as sftp, _broken(connector, "write the IRNs back to done/"):
            _ensure_folder(sftp, place)
            try:
                with sftp.open(path, "wx") as fresh:  # only the run that creates the file writes its header
                    fresh.write(_csv_line(IRN_COLUMNS))
            except OSError:
                pass  # it exists already
            with sftp.open(path, "a") as out:  # appends (O_APPEND on the server): concurrent write-backs add lines
                out.write(_csv_line(line))


def ubl_body(content: bytes) -> dict:
    """The create body of one UBL 2.1 invoice or credit note (read by integrations/connectors/ubl.py)."""
    try:
        from integrations.connectors import ubl
    except ModuleNotFoundError as exc:
        if exc.name != "integrations.connectors.ubl":
            raise
        raise MappingError(
            "This portal does not read UBL files yet: export the invoice as a CSV file in the format of Invoices → "
            "Upload a CSV, and drop that in the folder instead."
        ) from None
    try:
        return ubl.ubl_to_invoice_body(content)
    except ubl.UblError as exc:  # a sentence per problem, each naming the element and its fix
        found = [str(line) for line in getattr(exc, "errors", None) or [exc]]
        raise MappingError(
            "\n".join([*found, "Fix the invoice in your system and drop its file in the folder again."])
        ) from None


# --- the connection --------------------------------------------------------------------------------------------


def _settings(connector: Connector) -> tuple[str, int, str]:
    values = connector.settings or {}
    host, username = str(values.get("host") or "").strip(), str(values.get("username") or "").strip()
    if not host or not username:
        raise SourceUnreachable(f"This SFTP folder has no server or user name yet: fill them in under {WHERE_TO_FIX}.")
    try:
        port = int(values.get("port") or 22)
    except (TypeError, ValueError):
        raise SourceUnreachable(
            f"The port “{values.get('port')}” is not a number: the SFTP port is usually 22. Fix it under "
            f"{WHERE_TO_FIX}."
        ) from None
    return host, port, username


def _folder(connector: Connector) -> str:
    folder = str((connector.settings or {}).get("folder") or ".").strip()
    return folder.rstrip("/") or "/"


def _secrets(connector: Connector) -> dict:
    try:
        found = json.loads(connector.credentials or "{}")
    except ValueError:
        found = {}
    return found if isinstance(found, dict) else {}


def _private_key(text: str, passphrase: str) -> paramiko.PKey:
    for kind in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return kind.from_private_key(io.StringIO(text.strip() + "\n"), password=passphrase or None)
        except paramiko.PasswordRequiredException:
            raise SourceUnreachable(
                f"The private key saved for this SFTP folder is locked with a passphrase: add the passphrase under "
                f"{WHERE_TO_FIX}."
            ) from None
        except (paramiko.SSHException, ValueError):
            continue
    raise SourceUnreachable(
        "The private key saved for this SFTP folder cannot be read (or its passphrase is wrong): paste the whole "
        f"key, from its -----BEGIN line to its -----END line, under {WHERE_TO_FIX}."
    )


@contextmanager
def _session(connector: Connector):
    """An SFTP session, logged in; SourceUnreachable in words for whatever stands in the way."""
    host, port, username = _settings(connector)
    where = f"{host} port {port}"
    secrets = _secrets(connector)
    key = _private_key(secrets["private_key"], secrets.get("passphrase", "")) if secrets.get("private_key") else None
    if key is None and not secrets.get("password"):
        raise SourceUnreachable(
            f"No password or private key is saved for this SFTP folder: add one under {WHERE_TO_FIX}."
        )
    problem = host_problem(host, port)  # again at each run: the name may now resolve inside our network
    if problem:
        raise SourceUnreachable(f"{problem} Change it under {WHERE_TO_FIX}.")
    try:
        sock = socket.create_connection((host, port), timeout=TIMEOUT)
    except OSError as exc:
        raise SourceUnreachable(
            f"The SFTP server at {where} could not be reached ({exc.strerror or exc}): check the server name and "
            f"port under {WHERE_TO_FIX}, and that the server lets this portal in."
        ) from None
    transport = paramiko.Transport(sock)
    transport.banner_timeout = transport.auth_timeout = TIMEOUT
    try:
        try:
            transport.start_client(timeout=TIMEOUT)
        except (paramiko.SSHException, OSError, EOFError):
            raise SourceUnreachable(
                f"The server at {where} did not answer as an SFTP server: check the server name and port under "
                f"{WHERE_TO_FIX} (SFTP usually listens on port 22)."
            ) from None
        _check_host_key(connector, transport, where)
        what = "private key" if key else "password"
        try:
            if key:
                transport.auth_publickey(username, key)
            else:
                transport.auth_password(username, secrets["password"])
        except paramiko.AuthenticationException:
            raise SourceUnreachable(
                f"The SFTP server refused the {what} for user {username}: update it under {WHERE_TO_FIX}."
            ) from None
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise SourceUnreachable(
                f"The SFTP server at {where} closed the connection during the login ({exc}): the next run tries again."
            ) from None
        try:
            sftp = paramiko.SFTPClient.from_transport(transport)
        except (paramiko.SSHException, OSError, EOFError):
            raise SourceUnreachable(
                f"User {username} logged in to {where}, but the server does not offer SFTP to that user: ask the "
                "server's administrator to allow SFTP."
            ) from None
        sftp.get_channel().settimeout(TIMEOUT)
        yield sftp
    finally:
        transport.close()


def _check_host_key(connector: Connector, transport: paramiko.Transport, where: str) -> None:
    """The server's key is remembered at the first connection to a server name and port (settings["host_key"]:
    "<server>:<port> <key type> <key>"); a different key there later stops the run. A new server name or port is a
    new first connection."""
    host, port, _username = _settings(connector)
    key = transport.get_remote_server_key()
    presented = [f"{host}:{port}", key.get_name(), key.get_base64()]
    remembered = str((connector.settings or {}).get("host_key") or "").split()
    if remembered[:1] != presented[:1]:
        connector.settings = {**(connector.settings or {}), "host_key": " ".join(presented)}
        Connector.objects.filter(pk=connector.pk).update(settings=connector.settings)
        return
    if remembered[1:3] != presented[1:3]:
        fingerprint = base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")
        raise SourceUnreachable(
            f"The SFTP server at {where} showed a different identity (host key) than on the first connection, so "
            "no file was read: someone may be impersonating it. If the server's administrator confirms that its key "
            f"changed (it is now SHA256:{fingerprint}), have the remembered key forgotten under {WHERE_TO_FIX}; the "
            "next run then remembers the new one."
        )


def host_key_forget(connector: Connector) -> None:
    """After the server's administrator confirmed a new key: the next run remembers the key it is shown."""
    connector.settings = {k: v for k, v in (connector.settings or {}).items() if k != "host_key"}
    Connector.objects.filter(pk=connector.pk).update(settings=connector.settings)


@contextmanager
def _broken(connector: Connector, doing: str):
    """An SFTP request refused or a connection lost mid-run, in words (the files stay for the next run)."""
    folder = _folder(connector)
    try:
        yield
    except FileNotFoundError:
        raise SourceUnreachable(
            f"The folder “{folder}” does not exist on the SFTP server: check the folder under {WHERE_TO_FIX}."
        ) from None
    except PermissionError:
        raise SourceUnreachable(
            f"The SFTP server did not let user {_settings(connector)[2]} {doing} in “{folder}”: ask the server's "
            "administrator for the right to read, rename and create files there (and the folders done/ and error/)."
            " Until then nothing new is created: files read again find their invoices made already."
        ) from None
    except (OSError, paramiko.SSHException, EOFError) as exc:
        raise SourceUnreachable(
            f"The SFTP connection broke while trying to {doing} ({exc}): the next run tries again."
        ) from None


def _settle(seconds: float) -> None:
    time.sleep(seconds)


def _listing(sftp: paramiko.SFTPClient, folder: str) -> dict[str, tuple[int, int]]:
    """The files to read, by name: (size, modification time)."""
    found = {}
    for entry in sftp.listdir_attr(folder):
        if stat.S_ISREG(entry.st_mode or 0) and _wanted(entry.filename):
            found[entry.filename] = (entry.st_size, entry.st_mtime)
    return found


def _wanted(name: str) -> bool:
    lower = name.lower()
    return not name.startswith(".") and lower.endswith(READ) and not lower.endswith(IN_PROGRESS)


def _ensure_folder(sftp: paramiko.SFTPClient, path: str) -> None:
    try:
        sftp.stat(path)
    except FileNotFoundError:
        try:
            sftp.mkdir(path)
        except OSError as refused:
            try:
                sftp.stat(path)  # made by another run meanwhile
            except FileNotFoundError:
                raise refused from None  # not allowed: the mkdir's own error says so


def _free_name(sftp: paramiko.SFTPClient, place: str, name: str) -> str:
    """The name itself, or with the time added when a file of that name was moved there before."""
    try:
        sftp.stat(posixpath.join(place, name))
    except FileNotFoundError:
        return name
    stem, dot, ext = name.rpartition(".")
    stamp = timezone.localtime(timezone.now()).strftime("%Y%m%d-%H%M%S-%f")
    return f"{stem}.{stamp}{dot}{ext}" if stem else f"{name}.{stamp}"


def _csv_line(values) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(values)
    return out.getvalue().encode()


# --- the files -------------------------------------------------------------------------------------------------


def _source_id(name: str, number: str) -> str:
    return f"{name[:140]}#{number[:55]}"


def _file_error(name: str, problems: list[str]) -> Listed:
    """A file that cannot be read at all: one document, keyed by the file's name, holding why."""
    return Listed(source_id=name[:200], raw={"file": name, "problems": problems}, reference=name[:100])


def _documents(name: str, content: bytes) -> list[Listed]:
    if name.lower().endswith(".xml"):
        raw = {"file": name, "format": "ubl", "xml_base64": base64.b64encode(content).decode()}
        try:
            number = str(ubl_body(content).get("document_number") or "")
        except MappingError:
            number = ""  # the document's error says why, when it is taken
        return [Listed(source_id=_source_id(name, number) if number else name[:200], raw=raw, reference=number)]
    try:
        table = read_csv(content)
    except FileProblem as problem:
        return [_file_error(name, [_at(p) for p in problem.problems])]
    listed = []
    for group in group_rows(table.rows):
        number = group.document_number
        raw = {
            "file": name,
            "format": "csv",
            "columns": table.columns,
            "rows": [
                {"row": r.row, "values": r.values, "problems": [p.message for p in r.problems]} for r in group.rows
            ],
        }
        listed.append(Listed(source_id=_source_id(name, number or f"row {group.first.row}"), raw=raw, reference=number))
    return listed


def _at(problem: Problem) -> str:
    if problem.row and problem.column:
        return f"Row {problem.row}, column “{problem.column}”: {problem.message}"
    if problem.row:
        return f"Row {problem.row}: {problem.message}"
    return problem.message


def _csv_body(connector: Connector, raw: dict) -> dict:
    """One invoice's rows checked as the CSV upload checks them (invoicing/batches), then its create body."""
    rows = [
        Row(r["row"], dict(r["values"]), [Problem(message, "", r["row"]) for message in r.get("problems", [])])
        for r in raw["rows"]
    ]
    groups, problems = validate_table(connector.tenant, Table(columns=list(raw["columns"]), rows=rows))
    found = [_at(p) for p in problems] + [_at(p) for group in groups for row in group.rows for p in row.problems]
    if found:
        number = groups[0].document_number if groups else ""
        heading = (
            f"Invoice {number} in {raw['file']}" if number else f"The rows without an invoice number in {raw['file']}"
        )
        raise MappingError(
            f"{heading} cannot be created:\n"
            + "\n".join(f"- {line}" for line in found)
            + "\nFix the file and drop it in the folder again: invoices already created are not created twice."
        )
    return groups[0].data


def _file_words(name: str, problems: list[str]) -> str:
    return (
        f"The file {name} cannot be read:\n"
        + "\n".join(f"- {line}" for line in problems)
        + "\nFix the file and drop it in the folder again."
    )


def _report(name: str, listed: list[Listed], failed: list[Listed], errors: dict) -> str:
    """error/<file>.errors.txt: what went wrong with each invoice of the file, for whoever fixes it (each error
    ends with how to fix it)."""
    read_at = timezone.localtime(timezone.now())
    lines = [f"{name} was read on {read_at:%-d %B %Y at %H:%M} (Lagos time)."]
    if len(listed) > 1:
        lines.append(f"{len(failed)} of its {len(listed)} invoices could not be created.")
    for item in failed:
        lines += ["", errors.get(item.source_id) or "It could not be read: drop it in the folder again."]
    made = [item.reference or item.source_id for item in listed if item not in failed]
    if made:
        lines += ["", f"Created from this file (they will not be created again): {', '.join(made)}."]
    return "\n".join(lines) + "\n"


sync.register(KIND, SftpFolder())
