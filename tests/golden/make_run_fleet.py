#!/usr/bin/env python3
"""Writes the cases of tests/golden/run_fleet.json: a synthetic 18-node x 4-GPU acceptance run (gemm, flops, membw,
two all-reduce sweeps, an all-gather sweep, a failed and a timed-out case) with planted slow GPUs and one slow
node. Its "analysis" section and fleet checks are then computed by exacheck itself:

    python3 tests/golden/make_run_fleet.py /tmp/fleet && exacheck report /tmp/fleet \
        && python3 -c 'import json, sys; sys.stdout.write(json.dumps(json.load(open(sys.argv[1])), indent=1,
           ensure_ascii=False, sort_keys=True))' /tmp/fleet/run.json > tests/golden/run_fleet.json

(run.json is written compact; the golden file is indented so that its diffs can be read.)

The numbers are drawn from a seeded generator: the fixture is a rendering test input, marked "synthetic": true.
"""
import json
import os
import random
import sys

NODES, GPUS_PER_NODE, SEED = 18, 4, 20261124
rng = random.Random(SEED)
hosts = [f"node{n:03d}" for n in range(1, NODES + 1)]
GPU_NAME = "NVIDIA H100 80GB HBM3"
PLANTED = [
    {"host": "node007", "gpu": 2, "benchmark": "gemm", "factor": 0.74},
    {"host": "node012", "gpu": None, "benchmark": "membw", "factor": 0.86},
    {"host": "node015", "gpu": 1, "benchmark": "flops", "factor": 0.9},
]


def factor_for(benchmark, host, gpu):
    for p in PLANTED:
        if p["benchmark"] == benchmark and p["host"] == host and p["gpu"] in (None, gpu):
            return p["factor"]
    return 1.0


def device(host, gpu):
    node = hosts.index(host) + 1
    return {"kind": "gpu", "index": gpu, "name": GPU_NAME,
            "uuid": f"GPU-{node:04x}{gpu:04x}-5e1f-4c2a-9d3b-{node * 16 + gpu:012x}",
            "serial": f"16523{node:04d}{gpu:02d}", "pci_bus_id": f"00000000:{0x19 + 0x20 * gpu:02X}:00.0"}


def rank_entry(rank, host, gpu, metrics, correctness):
    return {"rank": rank, "host": host, "local_rank": gpu, "device": device(host, gpu), "metrics": metrics,
            "samples": [], "correctness": correctness, "skipped": None, "warnings": []}


def point(params, scope, point_ranks):
    """run.json's point (schema exacheck/run/v2): the metrics described once, each rank with its values."""
    descriptors = []
    for r in point_ranks:
        for m in r["metrics"]:
            if all(d["name"] != m["name"] for d in descriptors):
                descriptors.append({k: v for k, v in m.items() if k != "value"})
    ranks = [dict({k: v for k, v in r.items() if k != "metrics"},
                  values={m["name"]: m["value"] for m in r["metrics"]}) for r in point_ranks]
    return {"params": params, "scope": scope, "metrics": descriptors, "ranks": ranks}


def metric(name, value, unit, statistic, better, description):
    return {"name": name, "value": round(value, 4), "unit": unit, "statistic": statistic, "better": better,
            "description": description}


def layout(count):
    return [(r, hosts[r // GPUS_PER_NODE], r % GPUS_PER_NODE) for r in range(count)]


def reference_check(metric_name, params, point_ranks, unit, statistic, better, reference):
    values = [(m["value"], r["rank"], r["host"]) for r in point_ranks for m in r["metrics"] if m["name"] == metric_name]
    value, rank, host = min(values) if better == "higher" else max(values)
    check = {"metric": metric_name, "params": params, "value": value, "unit": unit, "statistic": statistic,
             "better": better, "aggregation": "worst rank", "reference": reference, "delta_pct": None,
             "outcome": "RECORDED", "reason": "no reference for this metric", "worst_rank": rank, "worst_host": host,
             "ranks_measured": len(point_ranks), "ranks_expected": len(point_ranks)}
    if reference:
        check["delta_pct"] = (value - reference["value"]) / reference["value"] * 100
        ok = value >= reference["lower_bound"]
        check["outcome"] = "PASS" if ok else "FAIL"
        check["reason"] = (f"{value:.4g} {unit} {'within bounds' if ok else 'below the lower bound'} "
                           f"{reference['lower_bound']:.4g} {unit} (reference {reference['value']:.4g} {unit} -5%)")
    return check


def correctness_check(params, ranks, method):
    return {"metric": "correctness", "params": params, "value": None, "unit": "", "statistic": "", "better": None,
            "aggregation": "", "reference": None, "delta_pct": None, "outcome": "PASS",
            "reason": f"verified on {ranks} rank(s): {method}", "worst_rank": None, "worst_host": None,
            "ranks_measured": ranks, "ranks_expected": ranks}


def ref(value, unit, source):
    return {"value": value, "unit": unit, "lower_bound": value * 0.95, "upper_bound": None, "better": "higher",
            "source": source}


def base_case(case_id, name, benchmark, params, ranks, elapsed_s):
    command = ["srun", "--nodes", str(max(1, ranks // GPUS_PER_NODE)), "--ntasks-per-node", str(GPUS_PER_NODE),
               "/opt/exacheck/bin/exacheck", "worker", "--case", f"/scratch/exacheck/runs/fleet/cases/{case_id}.json"]
    return {"id": case_id, "name": name, "benchmark": benchmark, "tags": ["acceptance"], "params": params,
            "repeat": 0, "ranks": ranks, "launcher": "srun", "backend": "cuda", "command": command,
            "status": "completed", "outcome": "PASS", "message": "", "log_tail": "", "elapsed_s": elapsed_s,
            "timing": {"launch_s": 2.1, "benchmark_s": elapsed_s - 2.1}, "results": [], "checks": []}


def per_gpu_case(case_id, benchmark, params_list, metric_specs, method, references):
    ranks = NODES * GPUS_PER_NODE
    case = base_case(case_id, benchmark, benchmark, params_list[0]["_plan"], ranks, 41.5)
    for params in params_list:
        params = {k: v for k, v in params.items() if k != "_plan"}
        point_ranks = []
        for rank, host, gpu in layout(ranks):
            metrics = []
            for name, unit, statistic, description, typical in metric_specs(params):
                planted = factor_for(benchmark, host, gpu) if name != "copy_bandwidth" else 1.0
                metrics.append(metric(name, typical * planted * rng.gauss(1, 0.006), unit, statistic, "higher",
                                      description))
            point_ranks.append(rank_entry(rank, host, gpu, metrics,
                                          {"checked": True, "passed": True, "method": method, "detail": "ok"}))
        case["results"].append(point(params, "rank", point_ranks))
        case["checks"].append(correctness_check(params, ranks, method))
        for name, unit, statistic, _, _ in metric_specs(params):
            case["checks"].append(reference_check(name, params, point_ranks, unit, statistic, "higher",
                                                  references.get((params.get("dtype"), name))))
    return case


def collective_case(case_id, benchmark, ranks, dtypes, factor_name, factor, peak_busbw_gbps, latency_us):
    sizes = [8 * 8 ** i for i in range(10)]  # 8 B .. 1 GiB
    case = base_case(case_id, benchmark, benchmark, {"bytes": {"from": 8, "to": "1GiB", "factor": 8},
                                                     "dtype": dtypes if len(dtypes) > 1 else dtypes[0]}, ranks, 95.0)
    statistic = "median of per-iteration max over ranks"
    for dtype in dtypes:
        for size in sizes:
            params = {"bytes": size, "dtype": dtype}
            # time = latency + bytes / (peak algbw); a smooth curve with a little noise
            algbw_peak = peak_busbw_gbps / factor * (0.93 if dtype == "fp32" else 1.0)
            time_us = (latency_us + size / (algbw_peak * 1e3)) * rng.gauss(1, 0.01)
            algbw = size / (time_us * 1e3)
            metrics = [metric("time", time_us, "us", statistic, "lower", f"time of one {benchmark}"),
                       metric("algbw", algbw, "GB/s", statistic, "higher", "bytes / time"),
                       metric("busbw", algbw * factor, "GB/s", statistic, "higher", f"algbw × {factor_name}")]
            # A global metric is the same on every rank: the fixture keeps rank 0's entry only, to stay small.
            point_ranks = [rank_entry(rank, host, gpu, metrics, {"checked": True, "passed": True,
                                                                 "method": "exact integer-valued sums",
                                                                 "detail": "ok"}) for rank, host, gpu in layout(1)]
            case["results"].append(point(params, "global", point_ranks))
            case["checks"].append(correctness_check(params, ranks, "exact integer-valued sums"))
            for m in metrics:
                check = reference_check(m["name"], params, point_ranks[:1], m["unit"], statistic, m["better"], None)
                check.update(aggregation="global (reduced across ranks)", ranks_measured=ranks, ranks_expected=ranks)
                case["checks"].append(check)
    return case


def failed_case(case_id, benchmark, outcome, message, log_tail):
    case = base_case(case_id, benchmark, benchmark, {"bytes": "1GiB", "dtype": "bf16"}, 72, 600.0)
    case.update(status=outcome.lower(), outcome=outcome, message=message, log_tail=log_tail)
    case["checks"] = [{"metric": "run", "params": case["params"], "value": None, "unit": "", "statistic": "",
                       "better": None, "aggregation": "", "reference": None, "delta_pct": None, "outcome": outcome,
                       "reason": message, "worst_rank": None, "worst_host": None, "ranks_measured": 0,
                       "ranks_expected": 72}]
    return case


def main(out_dir):
    gemm_shape = {"m": 8192, "n": 8192, "k": 8192}
    cases = [
        per_gpu_case("gemm-3f9c1a7e", "gemm",
                     [dict(dtype=d, **gemm_shape, _plan={"dtype": ["bf16", "fp64"], **gemm_shape})
                      for d in ("bf16", "fp64")],
                     lambda p: [("tflops", "TFLOP/s", "median", "2·M·N·K / time",
                                 {"bf16": 742.0, "fp64": 59.2}[p["dtype"]])],
                     "64 sampled entries vs fp64 reference",
                     {("bf16", "tflops"): ref(700, "TFLOP/s", "contract annex B, 2025-03"),
                      ("fp64", "tflops"): ref(55, "TFLOP/s", "contract annex B, 2025-03")}),
        per_gpu_case("flops-c0d1e2f3", "flops",
                     [{"dtype": "fp64", "inner_iterations": 4096, "_plan": {"dtype": "fp64"}}],
                     lambda p: [("tflops", "TFLOP/s", "median", "FMA chain: 2 flops per FMA / time", 63.1)],
                     "replayed on scalars", {("fp64", "tflops"): ref(60, "TFLOP/s", "datasheet 67 TFLOP/s × 0.9")}),
        per_gpu_case("membw-8e4f2b19", "membw",
                     [{"array_bytes": 4294967296, "_plan": {"array_bytes": "4GiB"}}],
                     lambda p: [("copy_bandwidth", "GB/s", "best excluding the first", "2 arrays × bytes / time",
                                 2985.0),
                                ("triad_bandwidth", "GB/s", "best excluding the first", "3 arrays × bytes / time",
                                 3010.0)],
                     "kernels replayed on scalars",
                     {(None, "triad_bandwidth"): ref(2900, "GB/s", "contract annex B, 2025-03")}),
        collective_case("allreduce-5b21d0c4", "allreduce", 8, ["bf16", "fp32"], "2(n−1)/n", 2 * 7 / 8, 360.0, 18.0),
        collective_case("allreduce-9a0b1c2d", "allreduce", 72, ["bf16"], "2(n−1)/n", 2 * 71 / 72, 330.0, 42.0),
        collective_case("allgather-77e1f0aa", "allgather", 16, ["bf16"], "(n−1)/n", 15 / 16, 300.0, 25.0),
        failed_case("alltoall-a4b5c6d7", "alltoall", "TIMEOUT", "stopped after the case time-out of 600 s",
                    "[node009:4417] NCCL WARN Timeout waiting for connection\n"),
        failed_case("broadcast-1e2d3c4b", "broadcast", "ERROR", "worker exited with signal 11 (SIGSEGV) on node004",
                    "[node004:3001] *** Process received signal ***\n[node004:3001] Signal: Segmentation fault (11)\n"),
    ]
    run = {
        "schema": "exacheck/run/v2", "synthetic": True,
        "synthetic_detail": {"nodes": NODES, "gpus_per_node": GPUS_PER_NODE, "seed": SEED,
                             "planted": [{k: v for k, v in p.items() if v is not None} for p in PLANTED]},
        "verdict": "", "exit_code": 0, "interrupted": False, "complete": True,
        "plan": {"name": "acceptance", "file": "/opt/exacheck/share/exacheck/configs/plans/acceptance.yaml",
                 "sha256": "5d2c8e1f0a9b7c6d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d",
                 "description": "Acceptance of the delivered partition: GEMM, peak FLOPS, HBM, collectives."},
        "system": {"name": "h100-sxm", "file": "/opt/exacheck/share/exacheck/configs/systems/h100-sxm.yaml",
                   "size": {"nodes": 525, "gpus_per_node": 4},
                   "peak_per_gpu": {"fp64": 34, "fp64_tensor": 67, "bf16": 989.5, "unit": "TFLOP/s",
                                    "hbm": "3.35 TB/s"}},
        "provenance": {"exacheck_version": "0.1.0", "git_revision": "4e1d2c9a7b3f",
                       "command_line": ["exacheck", "run", "configs/plans/acceptance.yaml", "--out",
                                        "/scratch/exacheck/runs/fleet"],
                       "started_at": "2026-11-24T08:00:00Z", "finished_at": "2026-11-24T08:31:10Z",
                       "controller_host": "login01", "hosts": hosts,
                       "cpu": {"model": "Intel(R) Xeon(R) Platinum 8480+", "cores": 56, "threads": 112,
                               "memory_bytes": 2199023255552, "llc_bytes": 110100480},
                       "libraries": {"cuda_driver": "12.4", "cuda_runtime": "12.4", "cublaslt": "12.4.5",
                                     "nccl": "2.21.5", "mpi": "Open MPI v4.1.6"},
                       "os": "Linux 5.14.0-427.13.1.el9_4.x86_64 x86_64"},
        "timing": {"launch_s": 38.2, "benchmark_s": 1826.4, "aggregation_s": 0.012, "reports_s": 0.03,
                   "total_s": 1870.0},
        "cases": cases, "summary": {},
        "analysis": {"rules": {"z_threshold": 4, "below_median_pct": 10, "min_fleet": 4,
                               "spread": [{"benchmark": "membw", "metric": "triad_bandwidth", "max_pct": 20}]}},
    }
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "run.json"), "w") as f:
        json.dump(run, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
