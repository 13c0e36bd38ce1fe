"""`python -m bench [--scale 0.05] [--only memory,latency,billing,read,write,plans] [--duration 6] [--rounds 3]
[--profile]`."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import traceback
from pathlib import Path

from bench import stack as stack_mod
from bench.results import Results, console

SECTIONS = ("memory", "latency", "billing", "read", "write", "plans", "webhooks", "mail", "console")
ALONE = ("memory",)  # sections that start their own platform, before the shared one (see bench/memory.py)


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiply every size (100,000 agreements, 10,000 plans, 200 latency samples); 0.05 to debug",
    )
    p.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated subset of {', '.join(SECTIONS)}")
    p.add_argument(
        "--duration",
        type=float,
        default=6.0,
        help="seconds of measured load per round of an HTTP figure and its baseline",
    )
    p.add_argument("--connections", type=int, default=32)
    p.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="interleaved rounds of each HTTP figure and its baseline, and of the JetStream baseline; medians are "
        "reported (this VM's speed drifts)",
    )
    p.add_argument(
        "--profile",
        action="store_true",
        help="record py-spy profiles of the services during the billing run and the HTTP load",
    )
    p.add_argument("--out", type=Path, default=Path(".bench"))
    p.add_argument("--keep", action="store_true", help="keep the throwaway data directory (logs, databases)")
    return p.parse_args()


def main() -> None:
    args = parse()
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(only) - set(SECTIONS)
    if unknown:
        raise SystemExit(f"unknown section(s): {', '.join(sorted(unknown))}")
    sizes = {
        "agreements": max(100, round(100_000 * args.scale)),
        "plans": max(10, round(10_000 * args.scale)),
        "latency_samples": max(20, round(200 * min(args.scale, 1.0))),
    }
    results = Results()
    console.print(
        f"[bold]vcio bench[/] sizes {sizes}; HTTP figures: {args.rounds} rounds of {args.duration:g} s of load"
    )
    if "memory" in only:
        console.rule("memory")
        started = time.monotonic()
        try:
            from bench import memory

            memory.run(results, keep=args.keep)
        except Exception as exc:
            traceback.print_exc()
            results.failed("memory", f"{type(exc).__name__}: {exc}")
        console.print(f"[dim]memory took {time.monotonic() - started:.1f}s[/]")
    t0 = time.monotonic()
    stack = stack_mod.start(keep=args.keep) if any(s not in ALONE for s in only) else None
    if stack is None:
        finish(results, args, only, sizes)
        return
    console.print(f"platform up in {time.monotonic() - t0:.1f}s (data in {stack.data_dir})")
    state: dict[str, object] = {}
    try:
        for section in SECTIONS:
            if section not in only or section in ALONE:
                continue
            console.rule(section)
            started = time.monotonic()
            try:
                asyncio.run(run_section(section, stack, results, sizes, args, state))
            except Exception as exc:  # a broken section is reported; the others still run
                traceback.print_exc()
                results.failed(section, f"{type(exc).__name__}: {exc}")
            console.print(f"[dim]{section} took {time.monotonic() - started:.1f}s[/]")
    finally:
        stack.stop()
    finish(results, args, only, sizes)


def finish(results: Results, args: argparse.Namespace, only: list[str], sizes: dict[str, int]) -> None:
    console.print(results.table())
    path = results.write(
        args.out,
        {
            "sizes": sizes,
            "scale": args.scale,
            "load_seconds": args.duration,
            "rounds": args.rounds,
            "connections": args.connections,
            "sections": only,
        },
    )
    from bench.report import markdown

    (path.parent / "results.md").write_text(markdown(json.loads(path.read_text())))
    console.print(f"wrote {path} and {path.parent / 'results.md'}")


async def run_section(
    section: str,
    stack: stack_mod.Stack,
    results: Results,
    sizes: dict[str, int],
    args: argparse.Namespace,
    state: dict[str, object],
) -> None:
    from bench import flow

    if "setup" not in state and section in ("latency", "write"):
        state["setup"] = await flow.prepare(stack)
    if section == "latency":
        from bench import latency

        await latency.run(
            stack,
            state["setup"],
            results,
            sizes["latency_samples"],  # type: ignore[arg-type]
            profile=args.profile,
            out=args.out,
        )
    elif section == "billing":
        from bench import billing

        state["invoice_ids"] = await billing.run(
            stack, results, sizes["agreements"], profile=args.profile, out=args.out, rounds=args.rounds
        )
    elif section == "read":
        from bench import http_load

        await http_load.read(stack, results, state, args)
    elif section == "write":
        from bench import http_load

        await http_load.write(stack, results, state, args)
    elif section == "plans":
        from bench import plans

        await plans.run(stack, results, sizes["plans"])
    elif section == "webhooks":
        from bench import webhooks

        await webhooks.run(stack, results, args.scale)
    elif section == "mail":
        from bench import mail

        await mail.run(stack, results, args.scale)
    elif section == "console":
        from bench import console as console_pages

        await console_pages.run(stack, results, args)


if __name__ == "__main__":
    main()
