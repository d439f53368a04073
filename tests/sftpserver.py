"""A real SFTP server for the tests: Debian's OpenSSH (`make sshd` installs it) on a free local port, with its own
host key, for one local user who may log in by password or by key and gets SFTP only (internal-sftp).

sshd runs as root (tests run as root in CI) and drops to that user for the session, as on a real server; the
user's drop folder is a fresh directory the user owns, and the tests write into it as a business's system would."""

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import paramiko
import pytest

from tests.processes import free_port, kill_group

SSHD = "/usr/sbin/sshd"
USER = "flowpoint-sftp"
PASSWORD = "Drop-folder-7781"


@dataclass
class SftpServer:
    host: str
    port: int
    username: str
    password: str
    private_key: str  # OpenSSH PEM text of a key the server accepts
    folder: Path  # the drop folder, on this machine's disk
    host_key: Path  # the server's public key
    log: Path

    def drop(self, name: str, content: bytes | str) -> Path:
        """A file written into the folder, owned by the SFTP user as an upload would be."""
        path = self.folder / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        os.chown(path, *_ids())
        return path

    def settings(self) -> dict:
        return {"host": self.host, "port": self.port, "username": self.username, "folder": str(self.folder)}


def _ids() -> tuple[int, int]:
    entry = pwd.getpwnam(USER)
    return entry.pw_uid, entry.pw_gid


def _ensure_user() -> None:
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", USER], check=True)
    subprocess.run(["chpasswd"], input=f"{USER}:{PASSWORD}", text=True, check=True)


def _wait_until_listening(port: int, log: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"sshd ended at start:\n{log.read_text()}")
        try:
            with paramiko.Transport(("127.0.0.1", port)) as transport:
                transport.start_client(timeout=5)
                return
        except (OSError, paramiko.SSHException):
            time.sleep(0.1)
    raise AssertionError(f"sshd did not answer on port {port}:\n{log.read_text()}")


@pytest.fixture
def sftp_server():
    assert os.path.exists(SSHD), "Debian's OpenSSH server is missing: run `make sshd`"
    _ensure_user()
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege separation directory
    # Not pytest's tmp_path: the SFTP user must be able to reach its folder (pytest's base is root's only).
    base = Path(tempfile.mkdtemp(prefix="flowpoint-sftp-"))
    base.chmod(0o755)
    folder = base / "outbox"
    folder.mkdir()
    os.chown(folder, *_ids())
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(base / "host_key")], check=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(base / "user_key")], check=True)
    (base / "authorized_keys").write_text((base / "user_key.pub").read_text())
    port = free_port()
    config = base / "sshd_config"
    config.write_text(
        f"""
ListenAddress 127.0.0.1
Port {port}
HostKey {base / "host_key"}
PidFile {base / "sshd.pid"}
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile {base / "authorized_keys"}
StrictModes no
PermitRootLogin no
AllowUsers {USER}
Subsystem sftp internal-sftp
ForceCommand internal-sftp
AllowTcpForwarding no
X11Forwarding no
LogLevel VERBOSE
"""
    )
    log = base / "sshd.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(config)], stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_until_listening(port, log, process)
        yield SftpServer(
            host="127.0.0.1",
            port=port,
            username=USER,
            password=PASSWORD,
            private_key=(base / "user_key").read_text(),
            folder=folder,
            host_key=base / "host_key.pub",
            log=log,
        )
    finally:
        kill_group(process)  # sshd and the session processes it forked
        shutil.rmtree(base, ignore_errors=True)
