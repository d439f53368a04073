"""`make run PORT=…` (issue 15): the embedded NRS sandbox answers on that port, not on 8000, and Ctrl-C stops the
portal and the worker without a traceback, leaving nothing behind."""

import json
import os
import signal
import sqlite3
from contextlib import closing

import requests

from tests.api.conftest import KEY_HEADER, invoice_body
from tests.processes import TROUBLE, free_port, instance_env, kill_group, start, wait_for, wait_until_gone


def test_make_run_on_its_own_port_certifies_against_its_own_sandbox_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "make-run.log"
    # -o: the venv is installed; make must not reinstall it because pyproject.toml is newer than its stamp.
    make = start(
        ["make", "-o", ".venv/.installed-stamp", "run", f"PORT={port}"], instance_env(tmp_path, Q_WORKERS="1"), log
    )
    try:
        wait_for(lambda: "Quit the server" in log.read_text() and "Cluster" in log.read_text(), 60, "portal", log)
        key = json.loads((tmp_path / "demo-credentials.json").read_text())["apiKey"]  # seed_demo's, of this database
        api = requests.Session()
        api.headers[KEY_HEADER] = key
        created = api.post(f"{url}/api/v1/invoices/create", json=invoice_body(), timeout=10)
        assert created.status_code == 202, created.text
        detail_url = f"{url}/api/v1/invoices/{created.json()['invoiceId']}"

        def settled():
            response = api.get(detail_url, timeout=10)
            assert response.status_code == 200, response.text
            return response.json() if response.json()["status"] not in ("PENDING", "SUBMITTING") else None

        detail = wait_for(settled, 30, "certification", log, every=0.5)  # within the API's 120 requests a minute
        assert detail["status"] == "CERTIFIED", detail

        # This instance's sandbox took the calls: they are in its own database's request log.
        with closing(sqlite3.connect(tmp_path / "flowpoint.sqlite3")) as db:
            logged = db.execute(
                "SELECT path, status_code FROM nrs_sandbox_sandboxrequest WHERE request_body LIKE ? OR path LIKE ?",
                (f"%{detail['irn']}%", f"%{detail['irn']}%"),
            ).fetchall()
        assert ("/sandbox/nrs/api/v1/invoice/sign", 200) in logged, logged
        assert (f"/sandbox/nrs/api/v1/invoice/transmit/{detail['irn']}", 200) in logged, logged

        os.killpg(make.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole foreground group
        wait_until_gone(make, timeout=20)
    finally:
        kill_group(make)  # whatever an assertion above left running
    output = log.read_text()
    assert not [word for word in TROUBLE if word in output], output[-4000:]
    assert output.count("stopped doing work") == 1, output[-4000:]  # the worker was stopped in order, not killed
    assert "has stopped" in output
