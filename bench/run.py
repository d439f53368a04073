"""`make bench`: measures the product as deployed and prints one JSON summary (targets from issue 7).

    .venv/bin/python bench/run.py [--only floor,create,pipeline,csv,pdf,nrs_latency,portal] [--seconds 15]
    make bench BENCH_ARGS="--only nrs_latency"                    # one figure
    make bench BENCH_ARGS="--only nrs_latency --nrs-invoices 60"  # a quick trial of it

Figures: floor and create (wrk, 8 connections), pipeline (invoices from create to CERTIFIED against the
embedded sandbox, 2 workers), csv (a 10,000-row file validated, then certified), pdf (our renderer against
WeasyPrint alone), nrs_latency (certified/s against a stand-in NRS answering every call after 0, 300 and
1,500 ms, and another business's single invoice while 1,000 of one business wait: bench/nrs_latency.py),
portal (the invoice list with 100,000 invoices in the tenant). Each figure carries its target and whether it
held. Logs of the server, worker and NRS stand-in: var/bench/logs/.
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import stack  # noqa: E402

# nrs_latency before portal: portal seeds 10,000 PENDING invoices without tasks, which the sweeper queues after
# NRS_STUCK_AFTER_SECONDS, and nrs_latency's worker would then send them to its stand-in.
FIGURES = ("floor", "create", "pipeline", "csv", "pdf", "nrs_latency", "portal")


def machine() -> dict:
    model = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?"
    )
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        "python": platform.python_version(),
        "database": "postgresql" if os.environ.get("DATABASE_URL") else "sqlite",
        "broker": "redis" if os.environ.get("REDIS_URL") else "orm",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(FIGURES), help="comma-separated figures to measure")
    parser.add_argument("--seconds", type=int, default=15, help="duration of each wrk run")
    parser.add_argument("--pipeline-invoices", type=int, default=2000)
    parser.add_argument("--csv-rows", type=int, default=10000)
    parser.add_argument("--portal-invoices", type=int, default=100000)
    nrs = parser.add_argument_group("nrs_latency")
    nrs.add_argument("--nrs-invoices", type=int, default=1000, help="backlog at 0 and 300 ms")
    nrs.add_argument("--nrs-slow-invoices", type=int, help="backlog at 1,500 ms (default: 30 %% of --nrs-invoices)")
    nrs.add_argument("--nrs-businesses", type=int, default=2, help="businesses the backlogs are spread over")
    nrs.add_argument("--nrs-fair-backlog", type=int, default=1000, help="business A's invoices waiting")
    nrs.add_argument("--nrs-fair-invoices", type=int, default=20, help="business B's single invoices, timed")
    nrs.add_argument("--nrs-fair-spacing", type=float, default=0.5, help="seconds between B's invoices")
    nrs.add_argument("--nrs-timeout", type=float, default=0, help="seconds a backlog may take (0: from its target)")
    parser.add_argument("--profile", metavar="DIR", help="sample the server and worker with py-spy into DIR")
    args = parser.parse_args()
    wanted = [name for name in args.only.split(",") if name]
    unknown = set(wanted) - set(FIGURES)
    if unknown:
        parser.error(f"unknown figures: {', '.join(sorted(unknown))}; choose from {', '.join(FIGURES)}")

    port = stack.free_port()
    env = stack.environment(port)
    print("Preparing the bench database (migrate, reference data, static files)…", file=sys.stderr)
    stack.prepare_database(env)
    os.environ.update(env)  # this driver reads and seeds the same database the server uses
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    import django

    django.setup()
    from bench import figures, nrs_latency

    measures = {name: getattr(figures, name, None) for name in FIGURES} | {"nrs_latency": nrs_latency.nrs_latency}
    processes = stack.Processes(env, port)
    summary = {"machine": machine(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "figures": {}}
    try:
        processes.start_web()
        base = f"http://127.0.0.1:{port}"
        context = figures.Context(base=base, processes=processes, seconds=args.seconds)
        profiles = stack.Profiles(processes, Path(args.profile) if args.profile else None)
        for name in wanted:
            print(f"Measuring {name}…", file=sys.stderr)
            measure = measures[name]
            options = {
                "pipeline": {"invoices": args.pipeline_invoices},
                "csv": {"rows": args.csv_rows},
                "portal": {"invoices": args.portal_invoices},
                "nrs_latency": {
                    "invoices": args.nrs_invoices,
                    "slow_invoices": args.nrs_slow_invoices,
                    "businesses": args.nrs_businesses,
                    "fair_backlog": args.nrs_fair_backlog,
                    "fair_invoices": args.nrs_fair_invoices,
                    "fair_spacing": args.nrs_fair_spacing,
                    "timeout": args.nrs_timeout,
                },
            }.get(name, {})
            if name in ("pipeline", "csv", "pdf"):
                context.ensure_worker()  # before the profiler attaches, so that it samples the worker too
            if name == "nrs_latency" and processes.standin is None:
                processes.start_standin()  # likewise; its worker starts per phase and is not sampled
            with profiles.record(name):
                summary["figures"][name] = measure(context, **options)
    finally:
        processes.stop()
    summary["targets_held"] = all(f.get("target_held", True) for f in summary["figures"].values())
    output = json.dumps(summary, indent=2)
    (stack.VAR / "summary.json").write_text(output)  # the latest figures, for the README
    print(output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
