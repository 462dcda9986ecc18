"""Time backprop against scikit-learn and PyTorch on the workloads of issue 6.

    .venv/bin/python benchmarks/run.py                  # everything, 3 timed runs each
    .venv/bin/python benchmarks/run.py --quick          # tiny epochs: checks that all runs
    .venv/bin/python benchmarks/run.py --only W1,W3 --repeat 5

Each (workload, library) pair runs in a fresh Python process (benchmarks/worker.py), one after
another, so none inherits another's memory, thread pools or warmed caches. Before them, one more
process measures the float32 matrix-product rate of NumPy's BLAS: the ceiling the wide network
of W2b is compared with. The results are printed, appended as one JSON line to
benchmarks/results.jsonl and written as benchmarks/RESULTS.md (see README.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from workloads import LIBRARIES, WORKLOADS

HERE = Path(__file__).resolve().parent
WORKER = HERE / "worker.py"
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
PEERS = ("sklearn", "torch")
#: The MNIST files beside the checkout, where the development machines and CI keep them.
SHARED_MNIST = HERE.parent.parent / "shared" / "data" / "mnist"


# -- the machine --------------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    """What the numbers depend on: CPU, cores, library versions, BLAS and its threads."""
    import numpy as np
    from threadpoolctl import threadpool_info

    cpuinfo = _read("/proc/cpuinfo")
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line),
        platform.processor() or platform.machine(),
    )
    cores = {
        (block.get("physical id"), block.get("core id"))
        for block in _cpuinfo_blocks(cpuinfo)
        if "core id" in block
    }
    flags = next((b["flags"].split() for b in _cpuinfo_blocks(cpuinfo) if "flags" in b), [])
    meminfo = dict(
        line.split(":", 1) for line in _read("/proc/meminfo").splitlines() if ":" in line
    )
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    return {
        "cpu": model,
        "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "physical_cores": len(cores) or None,
        "simd": [f for f in ("sse4_2", "avx", "avx2", "fma", "avx512f", "amx_tile") if f in flags],
        "memory_gb": round(int(meminfo["MemTotal"].split()[0]) / 2**20, 1) if meminfo else None,
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": {
            "numpy": np.__version__,
            "scikit-learn": _version("scikit-learn"),
            "torch": _version("torch"),
            "threadpoolctl": _version("threadpoolctl"),
        },
        "numpy_blas": {k: blas.get(k) for k in ("name", "version", "openblas configuration")},
        "numpy_threadpools": [
            {k: p.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
            for p in threadpool_info()
        ],
        "thread_variables": {k: os.environ[k] for k in THREAD_VARIABLES if k in os.environ},
    }


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _cpuinfo_blocks(text: str) -> list[dict[str, str]]:
    return [
        {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in block.splitlines())}
        for block in text.split("\n\n")
        if block.strip()
    ]


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def load_average() -> list[float] | None:
    """1-, 5- and 15-minute load: above ~0.5 something else was using the CPU."""
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def busy_warning(load: list[float] | None) -> str | None:
    """A warning when the 1-minute load average says the CPU was not free."""
    if not load or load[0] < 0.5:
        return None
    return (
        f"the 1-minute load average was {load[0]} (near 0 on a quiet machine): the timings are "
        "noisy, PyTorch's OpenMP threads in particular slow down badly when another process "
        "holds a core (--threads 1 makes every library single-threaded)"
    )


def git_state() -> dict[str, Any]:
    """The commit measured (read-only git commands), and whether the tree had changes."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=HERE, capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": git("rev-parse", "--short", "HEAD"), "dirty": bool(status)}


# -- running the workers ------------------------------------------------------------------------


def run_worker(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Start worker.py with ``args``; its last line ``RESULT {json}`` is the result."""
    command = [sys.executable, str(WORKER), *args]
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    tail = (done.stderr or done.stdout).strip().splitlines()[-15:]
    return {"error": f"exit status {done.returncode}", "stderr_tail": tail}


def mnist_available(mnist_dir: str) -> str | None:
    """None when the MNIST files are there, else why W4 cannot run (nothing is downloaded)."""
    from backprop.data.mnist import locate_mnist

    try:
        locate_mnist(mnist_dir, download=False)
    except FileNotFoundError as error:
        return str(error)
    return None


# -- reading the results ------------------------------------------------------------------------


def add_derived(results: list[dict[str, Any]], peak_gflops: float | None) -> None:
    """Per result: the share of the matmul peak, and each peer's time over backprop's."""
    by_key = {(r["workload"], r["library"]): r for r in results}
    for r in results:
        if "error" in r:
            continue
        r["pct_of_peak"] = 100 * r["gflops"] / peak_gflops if peak_gflops else None
        mine = by_key.get((r["workload"], "backprop"))
        if r["library"] == "backprop" or mine is None or "error" in mine:
            r["ratio_to_backprop"] = None
            continue
        # Per epoch: for W1-W3 the same as the total (same epochs); for W4, where each library
        # runs until it reaches the target, the total time to the target is what is compared.
        field = "median_s" if r["target_accuracy"] is not None else "per_epoch_s"
        r["ratio_to_backprop"] = r[field] / mine[field]


TARGETS = [
    # (id, workload, what, threshold, description)
    ("W1-sklearn", "W1", ("ratio", "sklearn"), 3.0, "W1: sklearn/backprop per epoch >= 3x"),
    ("W1-torch", "W1", ("ratio", "torch"), 4.0, "W1: torch/backprop per epoch >= 4x"),
    ("W3-sklearn", "W3", ("ratio", "sklearn"), 3.0, "W3: sklearn/backprop per epoch >= 3x"),
    ("W3-torch", "W3", ("ratio", "torch"), 4.0, "W3: torch/backprop per epoch >= 4x"),
    ("W3-update", "W3", ("per_update_us", None), 30.0, "W3: backprop < 30 us per update"),
    ("W2a-sklearn", "W2a", ("ratio", "sklearn"), 1.6, "W2a: sklearn/backprop >= 1.6x"),
    ("W2a-torch", "W2a", ("ratio", "torch"), 1.6, "W2a: torch/backprop >= 1.6x"),
    ("W2b-peak", "W2b", ("pct_of_peak", None), 75.0, "W2b: backprop >= 75% of matmul peak"),
    ("W2a-memory", "W2a", ("memory_growth_mb", None), 60.0, "W2a: backprop memory growth <= 60 MB"),
    ("W2b-memory", "W2b", ("memory_growth_mb", None), 60.0, "W2b: backprop memory growth <= 60 MB"),
]
AT_MOST = {"per_update_us", "memory_growth_mb"}  # lower is better; the rest: higher is better


def check_targets(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_key = {(r["workload"], r["library"]): r for r in results if "error" not in r}
    checked = []
    for target_id, workload, (field, peer), threshold, description in TARGETS:
        row = by_key.get((workload, peer or "backprop"))
        value = None if row is None else row.get("ratio_to_backprop" if peer else field)
        if value is None:
            met = None
        elif field in AT_MOST:
            met = value < threshold if field == "per_update_us" else value <= threshold
        else:
            met = value >= threshold
        checked.append(
            {
                "id": target_id,
                "target": description,
                "threshold": threshold,
                "measured": value,
                "met": met,
            }
        )
    return checked


# -- printing -----------------------------------------------------------------------------------


def _num(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if value >= 10 ** (digits - 1):
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = [
        "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    lines += [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in rows
    ]
    return "\n".join(lines)


def results_table(results: list[dict[str, Any]]) -> str:
    header = [
        "workload",
        "library",
        "median s",
        "per epoch ms",
        "per update us",
        "GFLOP/s",
        "% peak",
        "mem growth MB",
        "after warm-up MB",
        "vs backprop",
        "epochs",
        "accuracy",
    ]
    rows = []
    for r in results:
        if "error" in r:
            rows.append([r["workload"], r["library"], "FAILED", *[""] * (len(header) - 3)])
            continue
        ratio = r.get("ratio_to_backprop")
        accuracy = f"{r['accuracy']:.3f} {r['accuracy_on']}"
        if r["target_accuracy"] is not None and not r["reached_target"]:
            accuracy += f" (< {r['target_accuracy']:.0%})"
        rows.append(
            [
                r["workload"],
                r["library"],
                _num(r["median_s"]),
                _num(r["per_epoch_s"] * 1e3),
                _num(r["per_update_us"]),
                _num(r["gflops"]),
                _num(r.get("pct_of_peak"), 2),
                _num(r["memory_growth_mb"]),
                _num(r["memory_growth_after_warmup_mb"]),
                f"{r['library']}/backprop {ratio:.2f}x" if ratio is not None else "",
                str(r["epochs"]),
                accuracy,
            ]
        )
    return markdown_table(header, rows)


def targets_table(targets: list[dict[str, Any]]) -> str:
    rows = []
    for t in targets:
        value = t["measured"]
        measured = "n/a" if value is None else f"{value:.3g}"
        met = {True: "yes", False: "NO", None: "not measured"}[t["met"]]
        rows.append([t["target"], measured, met])
    return markdown_table(["target", "measured", "met"], rows)


def machine_lines(run: dict[str, Any]) -> list[str]:
    m = run["machine"]
    pools = ", ".join(
        f"{p['internal_api']} {p['version']} ({p.get('architecture') or '?'}, "
        f"threads: {p['num_threads']})"
        for p in m["numpy_threadpools"]
    )
    torch_threads = {
        r.get("torch_num_threads") for r in run["results"] if r.get("torch_num_threads")
    }
    versions = m["versions"]
    return [
        f"- CPU: {m['cpu']}; {m['logical_cpus']} logical CPUs ({m['usable_cpus']} usable), "
        f"{m['physical_cores']} physical cores, SIMD: {', '.join(m['simd']) or 'n/a'}, "
        f"{m['memory_gb']} GB RAM",
        f"- {m['os']}, Python {m['python']}",
        f"- NumPy {versions['numpy']} on {pools}; scikit-learn {versions['scikit-learn']}; "
        f"PyTorch {versions['torch']} (CPU, torch.get_num_threads() = "
        f"{', '.join(map(str, torch_threads)) or '?'})",
        f"- Thread settings: {run['settings']['threads']}; "
        f"variables set: {m['thread_variables'] or 'none'}",
        f"- Load average (1, 5, 15 min) at start {run['load_average']['start']}, "
        f"at end {run['load_average']['end']}: near 0 means nothing else was running",
    ]


def markdown_report(run: dict[str, Any]) -> str:
    peak = run["matmul_peak"]
    git = run["git"]
    commit = f"{git['commit']}{' (uncommitted changes)' if git['dirty'] else ''}"
    quick = (
        "\n> **Quick run** (`--quick`): tiny epochs and data, one timed run. These numbers only "
        "show that every configuration runs; they say nothing about speed.\n"
        if run["settings"]["quick"]
        else ""
    )
    notes = [
        f"- **{w.key}** ({w.title}): {w.note}."
        for w in WORKLOADS.values()
        if w.key in run["settings"]["workloads"]
    ]
    skipped = [f"- {k} skipped: {why}" for k, why in run["skipped"].items()]
    load = run["load_average"]
    warning = busy_warning(max(load["start"] or [0], load["end"] or [0]))
    if warning:
        quick += f"\n> **Warning**: {warning}.\n"
    peak_line = (
        f"NumPy float32 {peak['n']} x {peak['n']} @ {peak['n']} x {peak['n']}: "
        f"**{peak['gflops']:.1f} GFLOP/s** (median of {peak['repeat']}; 2 n^3 flops each)"
        if "gflops" in peak
        else f"failed: {peak}"
    )
    return "\n".join(
        [
            "# Benchmark results (latest run)",
            "",
            f"{run['date']}, commit {commit}, `{run['command']}`, {run['elapsed_s']:.0f} s in all.",
            quick,
            "## Machine",
            "",
            *machine_lines(run),
            "",
            "## Matrix-product peak",
            "",
            peak_line,
            "",
            "## Timings",
            "",
            f"Median of {run['settings']['repeat']} timed run(s) after a warm-up (W4: one); "
            "each from building the model to the end of training. GFLOP/s counts "
            "6 x parameters x samples x epochs. Memory growth is the peak resident memory "
            "during warm-up and training minus what the process held once its data was "
            "loaded; the after-warm-up column leaves out one-time costs such as PyTorch's "
            "first backward pass. "
            "See README.md for how to read each column.",
            "",
            results_table(run["results"]),
            "",
            "## Targets (issue 6)",
            "",
            targets_table(run["targets"]),
            "",
            "## Workloads",
            "",
            *notes,
            *skipped,
            "",
        ]
    )


# -- main ---------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time backprop against scikit-learn and PyTorch (issue 6)."
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny epochs and data: check that everything runs"
    )
    parser.add_argument("--only", help="comma-separated workloads, e.g. W1,W3 (default: all)")
    parser.add_argument(
        "--libraries", default=",".join(LIBRARIES), help="comma-separated (default: all three)"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed runs per configuration (W4: always 1)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="JSON-lines file to append to (default: benchmarks/results.jsonl, "
        "or results-quick.jsonl with --quick)",
    )
    parser.add_argument(
        "--markdown",
        type=Path,
        help="summary to write (default: benchmarks/RESULTS.md, or RESULTS-quick.md with --quick)",
    )
    parser.add_argument(
        "--mnist-dir",
        default=os.environ.get("BACKPROP_DATA", str(SHARED_MNIST)),
        help="folder with the four MNIST IDX files (default: $BACKPROP_DATA or "
        "../shared/data/mnist beside the checkout)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        help="set OMP/OpenBLAS/MKL threads (and so PyTorch's) for every process; "
        "default: each library's own default",
    )
    parser.add_argument("--matmul-n", type=int, default=2048, help="matrix size for the peak")
    args = parser.parse_args(argv)
    args.workloads = [w.strip() for w in (args.only or ",".join(WORKLOADS)).split(",")]
    args.library_list = [lib.strip() for lib in args.libraries.split(",")]
    for name, chosen, allowed in (
        ("--only", args.workloads, WORKLOADS),
        ("--libraries", args.library_list, LIBRARIES),
    ):
        unknown = [c for c in chosen if c not in allowed]
        if unknown:
            parser.error(f"{name}: unknown {', '.join(unknown)}; choose from {', '.join(allowed)}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    suffix = "-quick" if args.quick else ""
    args.out = args.out or HERE / f"results{suffix}.jsonl"
    args.markdown = args.markdown or HERE / f"RESULTS{suffix}.md"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    env = dict(os.environ)
    if args.threads:
        env.update({k: str(args.threads) for k in THREAD_VARIABLES})
        os.environ.update({k: str(args.threads) for k in THREAD_VARIABLES})  # for machine_info
    run: dict[str, Any] = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": shlex.join(["benchmarks/run.py", *(sys.argv[1:] if argv is None else argv)]),
        "git": git_state(),
        "settings": {
            "quick": args.quick,
            "repeat": 1 if args.quick else args.repeat,
            "workloads": args.workloads,
            "libraries": args.library_list,
            "threads": args.threads or "library defaults",
            "matmul_n": args.matmul_n,
        },
        "load_average": {"start": load_average()},
        "skipped": {},
    }
    run["machine"] = machine_info()
    print(
        f"# {run['machine']['cpu']}, {run['machine']['usable_cpus']} usable CPUs, "
        f"load average {run['load_average']['start']}",
        flush=True,
    )

    warning = busy_warning(run["load_average"]["start"])
    if warning:
        print(f"WARNING: {warning}", flush=True)

    print(f"matmul peak ({args.matmul_n} x {args.matmul_n} float32) ...", end=" ", flush=True)
    peak_repeat = 3 if args.quick else 5
    peak = run_worker(["matmul", "--n", str(args.matmul_n), "--repeat", str(peak_repeat)], env)
    run["matmul_peak"] = peak
    print(f"{peak['gflops']:.1f} GFLOP/s" if "gflops" in peak else "FAILED", flush=True)

    workloads = list(args.workloads)
    if "W4" in workloads:
        missing = mnist_available(args.mnist_dir)
        if missing:
            run["skipped"]["W4"] = missing
            workloads.remove("W4")
            print(f"W4 skipped: {missing}", flush=True)

    configurations = [(w, lib) for w in workloads for lib in args.library_list]
    results = []
    for i, (workload, library) in enumerate(configurations, 1):
        print(f"[{i}/{len(configurations)}] {workload} {library} ...", end=" ", flush=True)
        worker_args = [workload, library, "--repeat", str(run["settings"]["repeat"])]
        worker_args += ["--mnist-dir", args.mnist_dir] + (["--quick"] if args.quick else [])
        result = run_worker(worker_args, env)
        result.setdefault("workload", workload)
        result.setdefault("library", library)
        results.append(result)
        if "error" in result:
            print("FAILED\n    " + "\n    ".join(result["stderr_tail"]), flush=True)
        else:
            print(f"{result['median_s']:.3f} s", flush=True)

    add_derived(results, peak.get("gflops"))
    run["results"] = results
    run["targets"] = check_targets(results)
    run["load_average"]["end"] = load_average()
    run["elapsed_s"] = time.perf_counter() - started

    print()
    print(results_table(results))
    print()
    if args.quick:
        print("Quick run: the targets below are checked, but quick numbers mean nothing.")
    print(targets_table(run["targets"]))

    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("a") as f:
        f.write(json.dumps(run) + "\n")
    args.markdown.write_text(markdown_report(run))
    print(f"\nAppended to {args.out}; summary in {args.markdown}")
    return 1 if any("error" in r for r in results) or "error" in peak else 0


if __name__ == "__main__":
    sys.exit(main())
