#!/usr/bin/env python3
"""The GPU targets, read from a one-GPU run's run.json (configs/plans/one-gpu.yaml), one line each.

  fp8_e4m3 GEMM at 8192^3              >= 1300 TFLOP/s
  STREAM triad                         >= 90% of the largest device-to-device copy, counted as read + write
  FP64, FP32 FMA on the CUDA cores     >= 90% of the architectural peak at the SM clock measured in the kernel
  BF16, FP16 on the tensor cores       >= 80% of the dense peak at that clock

(bf16 GEMM >= 97% of torch.matmul is judged by scripts/bench/gemm_vs_torch.py, which runs both.) Every figure is
rank 0's as the run recorded it, and a target whose figure the run lacks is "not measured", never met. Plain
Python, no third-party module. Exit status: 0 when every target is met, 1 when one is missed or not measured,
2 when run.json cannot be read.
"""
import json
import sys

FP8_TFLOPS = 1300.0
TRIAD_OF_COPY = 0.90
FMA_PCT = 90.0
TENSOR_PCT = 80.0


def points(run, benchmark):
    """(params, rank-0 values, rank-0 record) of every measured point of a benchmark."""
    for case in run.get("cases", []):
        if case.get("benchmark") != benchmark:
            continue
        for point in case.get("results", []):
            ranks = point.get("ranks") or [{}]
            rank = ranks[0]
            if rank.get("skipped"):
                continue
            yield point.get("params", {}), rank.get("values", {}), rank


# Parameters a point leaves out when they have their default value (param_spec omitted_at_default).
DEFAULTS = {"fast_accum": False}


def first(run, benchmark, metric, **params):
    """The metric of the first point whose params include `params` (None when there is none)."""
    for p, values, _ in points(run, benchmark):
        if all(p.get(k, DEFAULTS.get(k)) == v for k, v in params.items()) and metric in values:
            return values[metric]
    return None


def main():
    if len(sys.argv) != 2:
        print("usage: device_targets.py RUN_DIR/run.json", file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1], encoding="utf-8") as f:
            run = json.load(f)
    except (OSError, ValueError) as error:
        print(f"device_targets: cannot read {sys.argv[1]}: {error}", file=sys.stderr)
        return 2

    rows = []  # (target, figure text, met: True/False/None)

    fp8 = first(run, "gemm", "tflops", dtype="fp8_e4m3", fast_accum=False)  # the default; fast is shown apart
    rows.append((f"fp8_e4m3 GEMM >= {FP8_TFLOPS:.0f} TFLOP/s",
                 None if fp8 is None else f"{fp8:.1f} TFLOP/s", None if fp8 is None else fp8 >= FP8_TFLOPS))

    triad = first(run, "membw", "triad_bandwidth")
    copies = sorted((p.get("bytes", 0), v["d2d_read_write_bandwidth"]) for p, v, _ in points(run, "copybw")
                    if "d2d_read_write_bandwidth" in v)
    if triad is not None and copies:
        ratio = triad / copies[-1][1]
        rows.append((f"triad >= {100 * TRIAD_OF_COPY:.0f}% of d2d copy (read + write)",
                     f"{triad:.0f} GB/s = {100 * ratio:.1f}% of {copies[-1][1]:.0f} GB/s", ratio >= TRIAD_OF_COPY))
    else:
        rows.append((f"triad >= {100 * TRIAD_OF_COPY:.0f}% of d2d copy (read + write)", None, None))

    for dtype, engine, floor in (("fp64", "cuda_core", FMA_PCT), ("fp32", "cuda_core", FMA_PCT),
                                 ("bf16", "tensor_core", TENSOR_PCT), ("fp16", "tensor_core", TENSOR_PCT)):
        pct = first(run, "flops", "pct_of_peak_at_clock", dtype=dtype, engine=engine)
        if pct is None:  # engine auto picks the CUDA cores for fp64/fp32 and the tensor cores for bf16/fp16
            pct = first(run, "flops", "pct_of_peak_at_clock", dtype=dtype, engine="auto")
        tflops = first(run, "flops", "tflops", dtype=dtype, engine=engine) or first(
            run, "flops", "tflops", dtype=dtype, engine="auto")
        clock = first(run, "flops", "sm_clock_mhz", dtype=dtype, engine=engine) or first(
            run, "flops", "sm_clock_mhz", dtype=dtype, engine="auto")
        figure = None
        if pct is not None:
            figure = f"{pct:.1f}% ({tflops or 0:.1f} TFLOP/s at {clock or 0:.0f} MHz)"
        rows.append((f"{dtype} {engine.replace('_', ' ')}s >= {floor:.0f}% of peak at clock", figure,
                     None if pct is None else pct >= floor))

    width = max(len(r[0]) for r in rows)
    for target, figure, met in rows:
        verdict = "not measured" if met is None else ("met" if met else "NOT MET")
        print(f"{target:<{width}}  {figure or '-':<48}  {verdict}")
    missed = [r for r in rows if r[2] is not True]
    print("targets: all met" if not missed else f"targets: {len(missed)} of {len(rows)} not met or not measured")
    return 0 if not missed else 1


if __name__ == "__main__":
    sys.exit(main())
