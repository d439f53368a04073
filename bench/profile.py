"""Profiles a hot route in-process with pyinstrument, on the bench database that `bench/run.py` left.

    .venv/bin/python bench/profile.py floor|create [--requests 300] [--html /tmp/profile.html]

Prints the profile of the whole request cycle (middleware, auth, rate limit, view, queries) and the number
of SQL queries per request. Run `bench/run.py --only floor` once first: it prepares var/bench/.
"""

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import stack  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("route", choices=["floor", "create"])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--html", help="also write pyinstrument's HTML report here")
    args = parser.parse_args()

    env = stack.environment(port=8000)
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django_scopes import scope
    from pyinstrument import Profiler

    from bench.figures import invoice_body
    from tenants.models import Tenant
    from tenants.services import api_key_create

    tenant = Tenant.objects.filter(name="Bench Create Ltd").first()
    if tenant is None:
        raise SystemExit("No bench database: run `.venv/bin/python bench/run.py --only floor` first.")
    with scope(tenant=tenant):
        _key, plaintext = api_key_create(tenant=tenant, name="profile")
    client = Client(HTTP_X_FLOWPOINT_KEY=plaintext, HTTP_HOST="127.0.0.1")

    def one(n):
        if args.route == "floor":
            return client.get("/api/v1/helpers/states")
        body = json.dumps(invoice_body(f"PROF-{os.getpid()}-{n}"))
        return client.post("/api/v1/invoices/create", body, content_type="application/json")

    for n in range(10):  # warm caches and connections
        one(10**7 + n)
    with CaptureQueriesContext(connection) as queries:
        status = one(10**6).status_code
    print(f"{args.route}: HTTP {status}, {len(queries)} SQL queries per request")
    for query in queries.captured_queries:
        print("   ", query["sql"][:160])
    import time

    started, cpu = time.perf_counter(), time.process_time()
    for n in range(args.requests):
        one(2 * 10**6 + n)
    wall = (time.perf_counter() - started) / args.requests * 1000
    print(f"unprofiled: {wall:.2f} ms per request, {(time.process_time() - cpu) / args.requests * 1000:.2f} ms CPU")
    profiler = Profiler(interval=0.0005)
    with profiler:
        for n in range(args.requests):
            one(n)
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    if args.html:
        Path(args.html).write_text(profiler.output_html())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
