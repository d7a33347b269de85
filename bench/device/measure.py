#!/usr/bin/env python3
"""Measures, on one GPU, what pdagc's cost model predicts, in one run that fits a short device lease.

Sections (``--sections``, all by default), each written as a CSV under ``--out`` ($OUT on the device
machine):

- ``env.json``: the device (name, multiprocessors, L2, memory) and the software (torch, triton,
  transformers, CUDA).
- ``gemm.csv`` (the columns of ``stdlib/calibration/gemm.csv``): matrix products [m, k] by [k, n]
  over the layer widths of the fidelity tables' models (``bench/fidelity/configs``) at the tensor
  parallelism their rows use, bf16 (``torch.matmul``) and fp8 with per-tensor scales
  (``torch._scaled_mm``, where the GPU has fp8). The weights rotate over enough copies to exceed
  three times the L2 cache, so every call streams its weights from HBM, as a model's step does.
- ``fusion.csv``: the products that read one value, as one product and as the separate products
  pdagc times today (``docs/cost-model.md``, "Products that read one value"): a layer's query, key
  and value projections, and a gated MLP's gate and up, on one GPU of each tensor parallelism the
  models run at, bf16 and fp8, by m; ``fused_us`` the one product of their widths added up,
  ``separate_us`` the members one after another on the same input.
- ``attention.csv`` (the columns of ``stdlib/calibration/attention.csv``): causal prefill attention,
  fused (``scaled_dot_product_attention`` on the FlashAttention backend), over the models' per-GPU
  head layouts; ``attention_unfused.csv`` the same on its math backend (the score matrix in HBM).
- ``decode.csv``: decode attention (one query per sequence) over a KV cache in bf16 and fp8, by
  two kernels written here in Triton that differ only in how a group of query heads reads its
  key/value head: ``grouped`` (one program per key/value head, the group's queries together: the
  cache read once) and ``per_query_head`` (one program per query head, each reading its key/value
  head itself: TensorRT-LLM's masked multi-head attention before XQA, pdagc's
  ``decode_attention per_query_head``), and ``torch.nn.functional.scaled_dot_product_attention``
  (``sdpa``) for reference. ``kv_gbps`` is the cache's bytes (once per key/value head) over the
  time; ``logical_gbps`` counts them once per query head. Each kernel is checked against a float32
  reference first, and left out if it disagrees.
- ``l2.csv``: the rate at which the multiprocessors read data the L2 cache holds (``std.hardware``'s
  ``l2_bandwidth``), as te42kyfo/gpu-benches' ``gpu-l2-cache`` measures it: many programs read the
  blocks of one data set, bypassing L1 (``.cg`` loads), over data sets from 4 MB to twice the L2
  (the largest from HBM, for comparison). ``gbps`` is the bytes the programs read over the time.
- ``steps.csv``: a whole prefill step and decode step of a model built from its config with random
  weights (transformers' model classes on the GPU, bf16, eager, its default attention), by batch,
  prompt and context.

Timing: CUDA events around each call after warm-up calls, the median of the repetitions. The run
stops starting new measurements when ``--budget`` seconds have passed and writes what it has.

Usage on the device machine, from the repository's root:
    PYTHONUNBUFFERED=1 python3 bench/device/measure.py --out $OUT --budget 420

Nothing here runs in CI (no GPU there); pdagc's tests do not import it.
"""

import argparse
import csv
import json
import math
import os
import statistics
import sys
import time

START = time.time()

# The fidelity tables' models and the tensor parallelism their rows run at (per-GPU shapes).
MODELS = {
    "llama-2-7b": [1],
    "mistral-7b": [1],
    "llama-3.1-8b": [1],
    "gpt-j-6b": [1],
    "mixtral-8x7b": [1, 2, 4],
    "llama-2-70b": [2, 4, 8],
    "llama-3.1-70b": [1, 2, 4, 8],
    "falcon-180b": [4, 8],
}
M_GEMM = [1, 8, 32, 128, 512, 2048, 8192]
PREFILL_Q = [128, 512, 2048, 8192]
DECODE_BATCH = [1, 8, 32, 128]
DECODE_CTX = [128, 1024, 4096, 16384]
STEP_MODELS = ["llama-2-7b", "mistral-7b", "llama-3.1-8b"]


def log(*a):
    print("[%6.1fs]" % (time.time() - START), *a, flush=True)


class Budget:
    """A deadline: the run's, or a section's share of what is left of it."""

    def __init__(self, seconds, end=None):
        self.end = START + seconds if end is None else end

    def share(self, fraction):
        now = time.time()
        return Budget(0, min(self.end, now + fraction * max(0.0, self.end - now)))

    def left(self):
        return self.end - time.time()

    def out(self):
        return time.time() > self.end


def shapes(cfg):
    """(hidden, heads, kv_heads, head_dim, ffn, gated, experts) of an HF config."""
    h = cfg.get("hidden_size", cfg.get("n_embd"))
    heads = cfg.get("num_attention_heads", cfg.get("n_head"))
    kv = cfg.get("num_key_value_heads") or cfg.get("num_kv_heads") or heads
    if cfg.get("model_type") == "falcon" and not cfg.get("new_decoder_architecture", False) and cfg.get("multi_query", False):
        kv = 1
    hd = cfg.get("head_dim") or h // heads
    ffn = cfg.get("intermediate_size") or cfg.get("ffn_hidden_size") or cfg.get("n_inner") or 4 * h
    gated = cfg.get("model_type") in ("llama", "mistral", "mixtral", "qwen2", "qwen3", "qwen3_moe")
    experts = cfg.get("num_local_experts", 0)
    return h, heads, kv, hd, ffn, gated, experts


def layer_products(cfg, tp):
    """The (n, k) of a layer's products on one GPU of tp: fused qkv, output, (gate+)up, down."""
    h, heads, kv, hd, ffn, gated, _ = shapes(cfg)
    if heads % tp or (ffn % tp):
        return []
    kv_local = max(1, kv // tp) if kv >= tp else 1
    out = [((heads // tp + 2 * kv_local) * hd, h), (h, heads // tp * hd), ((2 if gated else 1) * ffn // tp, h), (h, ffn // tp)]
    return out


def product_sets(cfg, tp):
    """The products a layer runs on one GPU of tp that read one value: (name, fused (n, k), the members' (n, k))."""
    h, heads, kv, hd, ffn, gated, _ = shapes(cfg)
    if heads % tp or (ffn % tp):
        return []
    kv_local = max(1, kv // tp) if kv >= tp else 1
    sets = [("qkv", ((heads // tp + 2 * kv_local) * hd, h), [(heads // tp * hd, h), (kv_local * hd, h), (kv_local * hd, h)])]
    if gated:
        sets.append(("gate_up", (2 * ffn // tp, h), [(ffn // tp, h), (ffn // tp, h)]))
    return sets


def timed(fn, torch, min_reps=5, target_s=0.05, warmup=2):
    """Median seconds of fn() over repetitions timed with CUDA events."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    once = max(event_seconds(fn, torch), 1e-6)
    reps = int(min(50, max(min_reps, target_s / once)))
    return statistics.median(event_seconds(fn, torch) for _ in range(reps)), reps


def event_seconds(fn, torch):
    """Seconds of one fn() between two CUDA events."""
    s = torch.cuda.Event(enable_timing=True)
    e = torch.cuda.Event(enable_timing=True)
    s.record()
    fn()
    e.record()
    torch.cuda.synchronize()
    return s.elapsed_time(e) / 1e3


def gpu_label(torch):
    name = torch.cuda.get_device_name(0)
    for k in ("H200", "H100", "A100", "L40S", "B200"):
        if k in name:
            return k, name
    return name.replace(" ", "_"), name


def env(args, torch, out):
    p = torch.cuda.get_device_properties(0)
    info = {
        "device": torch.cuda.get_device_name(0),
        "multiprocessors": p.multi_processor_count,
        "l2_bytes": getattr(p, "L2_cache_size", None),
        "memory_bytes": p.total_memory,
        "capability": "%d.%d" % (p.major, p.minor),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
    }
    for mod in ("triton", "transformers"):
        try:
            info[mod] = __import__(mod).__version__
        except Exception as x:  # noqa: BLE001 - recorded, not fatal
            info[mod] = "not importable: %s" % x
    with open(os.path.join(out, "env.json"), "w") as f:
        json.dump(info, f, indent=2)
    log("env", info)
    return info


def copies_for(bytes_each, l2, free):
    n = max(1, math.ceil(3 * l2 / max(1, bytes_each)))
    while n > 1 and n * bytes_each > free / 4:
        n -= 1
    return min(n, 64)


def has_fp8(torch):
    """Whether the GPU multiplies fp8 (SM 89 and later) and torch exposes it."""
    return torch.cuda.get_device_capability(0) >= (8, 9) and hasattr(torch, "_scaled_mm")


def weight(torch, dtype, n, k):
    """A [k, n] weight in bf16, or in fp8 laid out as torch._scaled_mm takes its second operand."""
    if dtype == "bf16":
        return torch.randn(k, n, device="cuda", dtype=torch.bfloat16)
    return torch.randn(n, k, device="cuda", dtype=torch.bfloat16).to(torch.float8_e4m3fn).t()


def activation(torch, dtype, m, k):
    """The [m, k] input of a product, and its rows: fp8 products need m >= 16, so fp8 takes max(m, 16) rows."""
    mm = max(m, 16) if dtype == "fp8" else m
    a = torch.randn(mm, k, device="cuda", dtype=torch.bfloat16)
    return mm, a.to(torch.float8_e4m3fn) if dtype == "fp8" else a


def product(torch, dtype, a, b, one):
    """a @ b: torch.matmul in bf16, torch._scaled_mm with unit per-tensor scales in fp8."""
    if dtype == "bf16":
        return torch.matmul(a, b)
    return torch._scaled_mm(a, b, scale_a=one, scale_b=one, out_dtype=torch.bfloat16)


def gemm(args, torch, out, budget, gpu, source):
    l2 = torch.cuda.get_device_properties(0).L2_cache_size
    fp8 = has_fp8(torch)
    pairs = []
    for model, tps in MODELS.items():
        cfg = json.load(open(os.path.join(args.configs, model + ".config.json")))
        for tp in tps:
            for nk in layer_products(cfg, tp):
                if nk not in pairs:
                    pairs.append(nk)
    log("gemm: %d (n, k) pairs x %d m, fp8 %s" % (len(pairs), len(M_GEMM), fp8))
    rows = []
    with open(os.path.join(out, "gemm.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["gpu", "dtype", "m", "n", "k", "time_us", "tflops", "source", "notes"])
        for n, k in pairs:
            for dtype in (["bf16", "fp8"] if fp8 else ["bf16"]):
                if budget.out():
                    log("gemm: budget spent")
                    return rows
                free = torch.cuda.mem_get_info()[0]
                esize = 1 if dtype == "fp8" else 2
                nb = copies_for(n * k * esize, l2, free)
                try:
                    ws = [weight(torch, dtype, n, k) for _ in range(nb)]
                    one = torch.ones((), device="cuda", dtype=torch.float32)
                    for m in M_GEMM:
                        mm, a = activation(torch, dtype, m, k)
                        i = [0]

                        def call():
                            b = ws[i[0] % nb]
                            i[0] += 1
                            return product(torch, dtype, a, b, one)

                        t, reps = timed(call, torch)
                        tf = 2.0 * mm * n * k / t / 1e12
                        note = "median of %d CUDA-event timed calls; weights rotated over %d copies (>= 3x L2)" % (reps, nb)
                        if mm != m:
                            note += "; fp8 needs m >= 16: measured at m = %d" % mm
                        w.writerow([gpu, dtype, mm, n, k, "%.3f" % (t * 1e6), "%.3f" % tf, source, note])
                        rows.append((dtype, mm, n, k, t))
                    del ws
                except Exception as x:  # noqa: BLE001 - one shape's failure is recorded, the rest go on
                    log("gemm %s %dx%d failed: %s" % (dtype, n, k, x))
                torch.cuda.empty_cache()
            f.flush()
    log("gemm: %d rows" % len(rows))
    return rows


M_FUSION = [1, 8, 32, 128, 512, 2048]


def fusion(args, torch, out, budget, gpu, source):
    l2 = torch.cuda.get_device_properties(0).L2_cache_size
    fp8 = has_fp8(torch)
    cases = []
    for model, tps in MODELS.items():
        cfg = json.load(open(os.path.join(args.configs, model + ".config.json")))
        if shapes(cfg)[6]:
            continue  # experts: their products are grouped, not these
        for tp in tps:
            for name, fused, members in product_sets(cfg, tp):
                if (name, fused, members) not in [c[2:] for c in cases]:
                    cases.append((model, tp, name, fused, members))
    log("fusion: %d sets x %d m" % (len(cases), len(M_FUSION)))
    n_rows = 0
    with open(os.path.join(out, "fusion.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["gpu", "dtype", "m", "model", "tp", "set", "fused_n", "k", "members_n", "fused_us", "separate_us", "separate_over_fused",
                    "source"])
        for model, tp, name, (fn, k), members in cases:
            for dtype in (["bf16", "fp8"] if fp8 else ["bf16"]):
                if budget.out():
                    log("fusion: budget spent")
                    return
                free = torch.cuda.mem_get_info()[0]
                esize = 1 if dtype == "fp8" else 2
                nb = copies_for(fn * k * esize, l2, free)
                one = torch.ones((), device="cuda", dtype=torch.float32)
                try:
                    whole = [weight(torch, dtype, fn, k) for _ in range(nb)]
                    parts = [[weight(torch, dtype, n, k) for n, _ in members] for _ in range(nb)]
                    for m in M_FUSION:
                        mm, a = activation(torch, dtype, m, k)
                        i = [0]

                        def fused_call():
                            i[0] += 1
                            return product(torch, dtype, a, whole[i[0] % nb], one)

                        def separate_call():
                            i[0] += 1
                            for b in parts[i[0] % nb]:
                                product(torch, dtype, a, b, one)

                        tf, _ = timed(fused_call, torch)
                        ts, _ = timed(separate_call, torch)
                        w.writerow([gpu, dtype, mm, model, tp, name, fn, k, "+".join(str(n) for n, _ in members), "%.3f" % (tf * 1e6),
                                    "%.3f" % (ts * 1e6), "%.3f" % (ts / tf), source])
                        n_rows += 1
                    del whole, parts
                except Exception as x:  # noqa: BLE001 - one set's failure is recorded, the rest go on
                    log("fusion %s %s tp %d %s failed: %s" % (model, name, tp, dtype, x))
                torch.cuda.empty_cache()
            f.flush()
    log("fusion: %d rows" % n_rows)


def attention_layouts(args):
    """Per-GPU (heads, kv_heads, head_dim) of the fidelity models at their tensor parallelism."""
    out = []
    for model, tps in MODELS.items():
        cfg = json.load(open(os.path.join(args.configs, model + ".config.json")))
        h, heads, kv, hd, *_ = shapes(cfg)
        for tp in tps:
            if heads % tp:
                continue
            lay = (heads // tp, max(1, kv // tp), hd)
            if lay not in out:
                out.append(lay)
    return out


def attention(args, torch, out, budget, gpu, source):
    import torch.nn.functional as F
    from torch.nn.attention import SDPBackend, sdpa_kernel

    layouts = attention_layouts(args)
    log("attention: layouts", layouts)
    n = 0
    header = ["gpu", "phase", "dtype", "kv_dtype", "batch", "q_len", "kv_len", "num_heads", "num_kv_heads", "head_dim", "causal", "time_us",
              "tflops", "source", "notes"]
    # The fused kernels in calibration's columns; the unfused ones (the score matrix in HBM) in a file of their own.
    with open(os.path.join(out, "attention.csv"), "w", newline="") as ff, open(os.path.join(out, "attention_unfused.csv"), "w", newline="") as fu:
        writers = {"fused": csv.writer(ff), "unfused": csv.writer(fu)}
        for wr in writers.values():
            wr.writerow(header)
        for heads, kvh, hd in layouts:
            for s in PREFILL_Q:
                for backend, label in ((SDPBackend.FLASH_ATTENTION, "fused"), (SDPBackend.MATH, "unfused")):
                    if budget.out():
                        log("attention: budget spent")
                        return
                    if label == "unfused" and heads * s * s * 4 > torch.cuda.mem_get_info()[0] / 4:
                        continue
                    try:
                        q = torch.randn(1, heads, s, hd, device="cuda", dtype=torch.bfloat16)
                        k = torch.randn(1, kvh, s, hd, device="cuda", dtype=torch.bfloat16)
                        v = torch.randn_like(k)

                        def call():
                            with sdpa_kernel(backend):
                                return F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=kvh != heads)

                        t, reps = timed(call, torch)
                        tf = 2.0 * heads * hd * s * s / t / 1e12
                        writers[label].writerow([gpu, "prefill", "bf16", "bf16", 1, s, s, heads, kvh, hd, "true", "%.3f" % (t * 1e6), "%.3f" % tf, source,
                                    "torch sdpa, %s backend (%s); median of %d; tflops = causal half of 4*b*h*d*s^2" % (backend.name, label, reps)])
                        n += 1
                    except Exception as x:  # noqa: BLE001
                        log("attention %s %s failed: %s" % (label, (heads, kvh, hd, s), x))
                    torch.cuda.empty_cache()
            ff.flush()
            fu.flush()
    log("attention: %d rows" % n)


def l2_kernel():
    import triton
    import triton.language as tl

    @triton.jit
    def _read(X, O, nblocks, BLOCK: tl.constexpr, REPS: tl.constexpr):
        # Each program reads REPS blocks of the data set (neighbouring programs different ones), past L1.
        pid = tl.program_id(0)
        acc = tl.zeros([BLOCK], dtype=tl.float32)
        for r in range(REPS):
            b = (pid * REPS + r) % nblocks
            acc += tl.load(X + b * BLOCK + tl.arange(0, BLOCK), cache_modifier=".cg").to(tl.float32)
        tl.store(O + pid, tl.sum(acc, 0))

    return _read


def l2(args, torch, out, budget, gpu, source):
    try:
        kernel = l2_kernel()
    except Exception as x:  # noqa: BLE001
        log("l2: triton not usable:", x)
        return
    l2_bytes = torch.cuda.get_device_properties(0).L2_cache_size
    block, reps, programs = 4096, 16, 16384
    sizes = sorted({m << 20 for m in (4, 8, 12, 16, 20, 24, 32, 48)} | {2 * l2_bytes})
    n = 0
    with open(os.path.join(out, "l2.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["gpu", "data_set_bytes", "l2_bytes", "bytes_read", "time_us", "gbps", "source", "notes"])
        for size in sizes:
            if budget.out():
                log("l2: budget spent")
                break
            nblocks = max(1, size // (2 * block))
            x = torch.randn(nblocks * block, device="cuda", dtype=torch.bfloat16)
            o = torch.empty(programs, device="cuda", dtype=torch.float32)

            def call():
                kernel[(programs,)](x, o, nblocks, BLOCK=block, REPS=reps)

            t, k = timed(call, torch)
            read = programs * reps * block * 2
            w.writerow([gpu, nblocks * block * 2, l2_bytes, read, "%.6g" % (t * 1e6), "%.6g" % (read / t / 1e9), source,
                        "%d programs x %d blocks of %d bf16, .cg loads; median of %d" % (programs, reps, block, k)])
            n += 1
            f.flush()
    log("l2: %d rows" % n)


def decode_kernel():
    import triton
    import triton.language as tl

    @triton.jit
    def _decode(Q, K, V, O, sm_scale, ctx, sqb, sqh, skb, skh, skn, svb, svh, svn, sob, soh, H: tl.constexpr, GROUP: tl.constexpr,
                PER_PROG: tl.constexpr, M: tl.constexpr, D: tl.constexpr, BLOCK_N: tl.constexpr):
        # One program per PER_PROG query heads of one sequence: PER_PROG 1 reads the key/value head once per query head,
        # PER_PROG GROUP once per group. The rows of a program's queries are padded to M (>= 16) for the tensor cores.
        pid = tl.program_id(0)
        progs = H // PER_PROG
        b = pid // progs
        h0 = (pid % progs) * PER_PROG
        kvh = h0 // GROUP
        offs_m = tl.arange(0, M)
        offs_d = tl.arange(0, D)
        rows = offs_m < PER_PROG
        q = tl.load(Q + b * sqb + (h0 + offs_m)[:, None] * sqh + offs_d[None, :], mask=rows[:, None], other=0.0)
        m_i = tl.zeros([M], dtype=tl.float32) - float("inf")
        l_i = tl.zeros([M], dtype=tl.float32)
        acc = tl.zeros([M, D], dtype=tl.float32)
        kb = K + b * skb + kvh * skh
        vb = V + b * svb + kvh * svh
        for start in range(0, ctx, BLOCK_N):
            offs_n = start + tl.arange(0, BLOCK_N)
            cols = offs_n < ctx
            k = tl.load(kb + offs_n[:, None] * skn + offs_d[None, :], mask=cols[:, None], other=0.0).to(q.dtype)
            s = tl.dot(q, tl.trans(k)) * sm_scale
            s = tl.where(cols[None, :], s, float("-inf"))
            m_new = tl.maximum(m_i, tl.max(s, 1))
            p = tl.exp(s - m_new[:, None])
            alpha = tl.exp(m_i - m_new)
            l_i = l_i * alpha + tl.sum(p, 1)
            v = tl.load(vb + offs_n[:, None] * svn + offs_d[None, :], mask=cols[:, None], other=0.0).to(q.dtype)
            acc = acc * alpha[:, None] + tl.dot(p.to(q.dtype), v)
            m_i = m_new
        o = acc / l_i[:, None]
        tl.store(O + b * sob + (h0 + offs_m)[:, None] * soh + offs_d[None, :], o.to(O.dtype.element_ty), mask=rows[:, None])

    return _decode, triton


def decode(args, torch, out, budget, gpu, source):
    import torch.nn.functional as F

    try:
        kernel, triton = decode_kernel()
    except Exception as x:  # noqa: BLE001
        log("decode: triton not usable:", x)
        kernel = None
    fp8 = torch.cuda.get_device_capability(0) >= (8, 9)
    # One layout per (query heads per key/value head, head size): what the two kernels differ in.
    layouts, seen = [], set()
    for heads, kvh, hd in attention_layouts(args):
        if (heads // kvh, hd) not in seen:
            seen.add((heads // kvh, hd))
            layouts.append((heads, kvh, hd))
    log("decode: layouts", layouts)
    n = 0
    with open(os.path.join(out, "decode.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["gpu", "kernel", "kv_dtype", "batch", "kv_len", "num_heads", "num_kv_heads", "head_dim", "time_us", "kv_gbps", "logical_gbps",
                    "source", "notes"])
        for heads, kvh, hd in layouts:
            group = heads // kvh
            for kv_dtype in (["bf16", "fp8"] if fp8 else ["bf16"]):
                checked = {}
                for b in DECODE_BATCH:
                    for ctx in DECODE_CTX:
                        if budget.out():
                            log("decode: budget spent")
                            return
                        esize = 1 if kv_dtype == "fp8" else 2
                        kv_bytes = 2.0 * b * kvh * ctx * hd * esize
                        if kv_bytes > torch.cuda.mem_get_info()[0] / 3:
                            continue
                        try:
                            q = torch.randn(b, heads, hd, device="cuda", dtype=torch.bfloat16)
                            k = torch.randn(b, kvh, ctx, hd, device="cuda", dtype=torch.bfloat16)
                            v = torch.randn_like(k)
                            if kv_dtype == "fp8":
                                k, v = k.to(torch.float8_e4m3fn), v.to(torch.float8_e4m3fn)
                            o = torch.empty_like(q)
                            scale = 1.0 / math.sqrt(hd)
                            variants = []
                            if kernel is not None:
                                for name, per in (("per_query_head", 1), ("grouped", group)):
                                    mrows = max(16, triton.next_power_of_2(per))

                                    def call(per=per, mrows=mrows):
                                        kernel[(b * heads // per,)](q, k, v, o, scale, ctx, q.stride(0), q.stride(1), k.stride(0), k.stride(1),
                                                                    k.stride(2), v.stride(0), v.stride(1), v.stride(2), o.stride(0), o.stride(1),
                                                                    H=heads, GROUP=group, PER_PROG=per, M=mrows, D=hd, BLOCK_N=64)
                                        return o

                                    variants.append((name, call))
                            if kv_dtype == "bf16":
                                q4 = q.unsqueeze(2)

                                def sdpa():
                                    return F.scaled_dot_product_attention(q4, k, v, enable_gqa=kvh != heads)

                                variants.append(("sdpa", sdpa))
                            for name, call in variants:
                                if name not in checked:
                                    try:
                                        checked[name] = agrees(torch, call, q, k, v, heads, kvh, hd)
                                    except Exception as x:  # noqa: BLE001 - a kernel that does not build or run is left out
                                        log("decode: %s failed at %s: %s" % (name, (heads, kvh, hd, kv_dtype), x))
                                        checked[name] = False
                                    if not checked[name]:
                                        log("decode: %s left out for %s" % (name, (heads, kvh, hd, kv_dtype)))
                                if not checked[name]:
                                    continue
                                t, reps = timed(call, torch)
                                w.writerow([gpu, name, kv_dtype, b, ctx, heads, kvh, hd, "%.3f" % (t * 1e6), "%.1f" % (kv_bytes / t / 1e9),
                                            "%.1f" % (kv_bytes * group / t / 1e9), source, "median of %d CUDA-event timed calls" % reps])
                                n += 1
                            del q, k, v, o
                        except Exception as x:  # noqa: BLE001
                            log("decode %s failed: %s" % ((heads, kvh, hd, kv_dtype, b, ctx), x))
                        torch.cuda.empty_cache()
                f.flush()
    log("decode: %d rows" % n)


def agrees(torch, call, q, k, v, heads, kvh, hd):
    """Whether call()'s output matches a float32 reference on the first sequence."""
    out = call()
    if out.dim() == 4:
        out = out.squeeze(2)
    g = heads // kvh
    kf = k[:1].float().repeat_interleave(g, dim=1)
    vf = v[:1].float().repeat_interleave(g, dim=1)
    qf = q[:1].float()
    s = torch.einsum("bhd,bhnd->bhn", qf, kf) / math.sqrt(hd)
    ref = torch.einsum("bhn,bhnd->bhd", s.softmax(-1), vf)
    err = (out[:1].float() - ref).norm() / ref.norm()
    return bool(err < 2e-2)


def steps(args, torch, out, budget, gpu, source):
    import transformers

    n = 0
    with open(os.path.join(out, "steps.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["gpu", "model", "phase", "batch", "input", "context", "time_ms", "source", "notes"])
        for model in STEP_MODELS:
            if budget.left() < 45:
                log("steps: budget spent")
                return
            raw = json.load(open(os.path.join(args.configs, model + ".config.json")))
            try:
                cfg = transformers.AutoConfig.for_model(raw["model_type"], **{k: v for k, v in raw.items() if k != "model_type"})
                with torch.device("cuda"):
                    m = transformers.AutoModelForCausalLM.from_config(cfg, dtype=torch.bfloat16)
                m.eval()
                vocab = raw["vocab_size"]
                note = "transformers %s, eager, attention %s, random weights, bf16; median of the timed calls" % (
                    transformers.__version__, getattr(m.config, "_attn_implementation", "?"))
                with torch.no_grad():
                    for s in (128, 2048):
                        ids = torch.randint(0, vocab, (1, s), device="cuda")
                        # The last position's logits only, as a serving engine computes them.
                        t, _ = timed(lambda: m(ids, use_cache=False, logits_to_keep=1), torch, min_reps=3, target_s=0.2, warmup=1)
                        w.writerow([gpu, model, "prefill", 1, s, s, "%.3f" % (t * 1e3), source, note + "; logits of the last position"])
                        n += 1
                    for b in (1, 16, 64):
                        for ctx in (128, 2048):
                            if budget.left() < 10:
                                break
                            kv = 2.0 * b * ctx * cfg.num_hidden_layers * (getattr(cfg, "num_key_value_heads", None) or cfg.num_attention_heads) * (
                                cfg.hidden_size // cfg.num_attention_heads) * 2
                            if kv > torch.cuda.mem_get_info()[0] / 3:
                                continue
                            try:
                                ids = torch.randint(0, vocab, (b, ctx), device="cuda")
                                past = m(ids, use_cache=True, logits_to_keep=1).past_key_values
                                nxt = torch.randint(0, vocab, (b, 1), device="cuda")
                                times = []
                                state = {"past": past}

                                def step():
                                    state["past"] = m(nxt, past_key_values=state["past"], use_cache=True).past_key_values

                                for _ in range(6):
                                    times.append(event_seconds(step, torch) * 1e3)
                                w.writerow([gpu, model, "decode", b, ctx, ctx + 3, "%.3f" % statistics.median(times[1:]), source,
                                            note + "; one new token per sequence over a cache of ctx to ctx + 5 tokens, first call left out"])
                                n += 1
                                del past, state
                            except Exception as x:  # noqa: BLE001
                                log("steps %s decode %s failed: %s" % (model, (b, ctx), x))
                            torch.cuda.empty_cache()
                del m
            except Exception as x:  # noqa: BLE001
                log("steps %s failed: %s" % (model, x))
            torch.cuda.empty_cache()
            f.flush()
    log("steps: %d rows" % n)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.environ.get("OUT", "measured"))
    ap.add_argument("--budget", type=float, default=420.0, help="seconds after which no new measurement starts")
    ap.add_argument("--sections", default="l2,gemm,fusion,attention,decode,steps")
    ap.add_argument("--configs", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fidelity", "configs"))
    args = ap.parse_args()
    import torch

    if not torch.cuda.is_available():
        print("measure.py: no CUDA device", file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    budget = Budget(args.budget)
    info = env(args, torch, args.out)
    gpu, _ = gpu_label(torch)
    source = "measured here: bench/device/measure.py on %s (torch %s, CUDA %s)" % (info["device"], info["torch"], info["cuda"])
    sections = {"l2": l2, "gemm": gemm, "fusion": fusion, "attention": attention, "decode": decode, "steps": steps}
    # Each section's share of the time left when it starts; the last takes the rest.
    shares = {"l2": 0.05, "gemm": 0.3, "fusion": 0.15, "attention": 0.2, "decode": 0.45, "steps": 1.0}
    names = args.sections.split(",")
    for i, name in enumerate(names):
        if budget.out():
            break
        log("section", name)
        try:
            sections[name](args, torch, args.out, budget.share(1.0 if i == len(names) - 1 else shares[name]), gpu, source)
        except Exception as x:  # noqa: BLE001 - a section's failure is reported; the others still run
            log("section %s failed: %s" % (name, x))
    log("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
