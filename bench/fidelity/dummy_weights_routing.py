#!/usr/bin/env python3
"""Where a Mixtral-8x7B engine built without a checkpoint routes its tokens.

TensorRT-LLM 0.9.0's performance methodology builds every engine it shows with
`trtllm-build --model_config <json>` and no checkpoint, and its Mixtral example says that without a
checkpoint "TensorRT-LLM will build engine(s) with dummy weights". Those weights are
`Parameter.xavier_init` (tensorrt_llm/parameter.py, the same rule in the stored versions at
138f96d and b57221b):

    value = (torch.randn(shape) * 2 - 1) * v_range,   v_range = sqrt(6 / (rows + cols)) for 2-D, else 0.1

so every weight has mean -v_range and standard deviation 2 * v_range. This script runs the prefill of
a model of Mixtral-8x7B's shapes (mistralai/Mixtral-8x7B-v0.1 config.json: hidden 4096, 32 layers, 32
query and 8 key/value heads of 128, 8 experts of 14336, top 2, vocabulary 32000, rope_theta 1e6) on
random prompt ids with such weights, in float64, and prints per layer how many of the 8 experts
the router sends tokens to, and the largest activation (float16's largest finite value is 65504).

Each weight matrix is used once in a prefill, so it is drawn exactly in distribution without
materialising it: for W = (2Z - 1) v with Z standard normal and a batch X (tokens x in),
Z X^T has independent rows N(0, X X^T), drawn as G @ sqrt(X X^T). The router's weights (8 x 4096,
float32 in the engine: moe.py's RowLinear(..., dtype=trt.float32)) are drawn whole. Shapes are the
tensor-parallel ranks' (v_range is computed on each rank's shard, as each rank's engine is built).

usage: dummy_weights_routing.py [seed] [prompt tokens] [tp]      (numpy; about ten seconds at 128)
"""
import sys

import numpy as np

seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
T = int(sys.argv[2]) if len(sys.argv) > 2 else 128
tp = int(sys.argv[3]) if len(sys.argv) > 3 else 2
rng = np.random.default_rng(seed)
H, L, NH, KV, D, I, E, K, V = 4096, 32, 32, 8, 128, 14336, 8, 2, 32000
FP16_MAX = 65504.0


def v_range(rows, cols):
    return np.sqrt(6.0 / (rows + cols))


def linear(x, out, v):
    """x (tokens x in) times a fresh (out x in) dummy weight's transpose."""
    w, u = np.linalg.eigh(x @ x.T)
    root = (u * np.sqrt(np.clip(w, 0, None))) @ u.T
    zx = rng.standard_normal((out, x.shape[0])) @ root
    return (v * (2 * zx - x.sum(1)[None, :])).T


def vector(n):
    return (2 * rng.standard_normal(n) - 1) * 0.1


def rmsnorm(x):
    return x / np.sqrt((x * x).mean(1, keepdims=True) + 1e-5) * vector(x.shape[1])


def rope(x, pos):
    half = D // 2
    angle = pos[:, None] * (1e6 ** (-np.arange(half) / half))[None, :]
    c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
    a, b = x[..., :half], x[..., half:]
    return np.concatenate([a * c - b * s, a * s + b * c], -1)


x = (2 * rng.standard_normal((T, H)) - 1) * v_range(V, H)  # the rows of random prompt ids
pos = np.arange(T, dtype=np.float64)
causal = np.triu(np.full((T, T), -np.inf), 1)
overflow = None
for layer in range(L):
    h = rmsnorm(x)
    qkv = linear(h, (NH + 2 * KV) * D, v_range((NH + 2 * KV) * D // tp, H))
    q = rope(qkv[:, :NH * D].reshape(T, NH, D), pos)
    k = rope(qkv[:, NH * D:(NH + KV) * D].reshape(T, KV, D), pos)
    v = qkv[:, (NH + KV) * D:].reshape(T, KV, D)
    o = np.empty((T, NH, D))
    for head in range(NH):
        s = q[:, head] @ k[:, head // (NH // KV)].T / np.sqrt(D) + causal
        s = np.exp(s - s.max(1, keepdims=True))
        o[:, head] = (s / s.sum(1, keepdims=True)) @ v[:, head // (NH // KV)]
    for rank in range(tp):  # the output projection's row-parallel shards, all-reduced
        x = x + linear(o.reshape(T, NH * D)[:, rank * NH * D // tp:(rank + 1) * NH * D // tp], H, v_range(H, NH * D // tp))
    h = rmsnorm(x)
    logits = h @ ((2 * rng.standard_normal((E, H)) - 1) * v_range(E, H)).T
    top = np.argsort(-logits, 1)[:, :K]
    gate = np.take_along_axis(logits, top, 1)
    gate = np.exp(gate - gate.max(1, keepdims=True))
    gate /= gate.sum(1, keepdims=True)
    moe = np.zeros_like(x)
    largest = 0.0
    for e in sorted(set(top.ravel().tolist())):
        rows = np.where((top == e).any(1))[0]
        for rank in range(tp):  # each rank's shard of the expert, its partial sum all-reduced
            up = linear(h[rows], 2 * I // tp, 0.1)
            lin, g = up[:, :I // tp], up[:, I // tp:]
            y = linear(lin * g / (1 + np.exp(-np.clip(g, -80, 80))), H, 0.1)
            largest = max(largest, float(np.abs(y).max()))
            moe[rows] += y * gate[rows][top[rows] == e][:, None]
    x = x + moe
    if overflow is None and largest > FP16_MAX:
        overflow = layer
    counts = [int((top == e).sum()) for e in range(E)]
    print(f"layer {layer:2d}: tokens per expert {counts}; experts used {sum(c > 0 for c in counts)}; "
          f"largest expert output on a rank {largest:.3g}; largest activation {np.abs(x).max():.3g}")
print(f"{T} random prompt ids, tp {tp}, seed {seed}: " +
      (f"a rank's expert output first exceeds float16's range in layer {overflow}" if overflow is not None
       else "no expert output exceeds float16's range"))
