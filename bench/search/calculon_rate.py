#!/usr/bin/env python3
"""Calculon's evaluation rate on this machine, for the side-by-side figures of docs/commands.md.

Usage: calculon_rate.py CALCULON_CHECKOUT APP.json NUM_PROCS MAX_BATCH SYSTEM.json [SECONDS]

Enumerates the executions of Calculon's `llm-optimal-execution` search (calculon-ai/calculon,
calculon/llm/optimal_execution.py, the same loops with its defaults: fused activation, every
overlap, no offload memory) in its own order, counts them all, and evaluates every (count / 4000)-th one, one by one on one
core (Llm.compile, Llm.run, get_stats_json, as its search does), for SECONDS of CPU (default
60), then prints the count, the evaluations done and their rate per core. Paths to APP and SYSTEM are
relative to the checkout.
"""
import itertools
import logging
import os
import sys
import time

checkout, app_file, procs, max_batch, system_file = sys.argv[1:6]
seconds = float(sys.argv[6]) if len(sys.argv) > 6 else 60.0
sys.path.insert(0, checkout)
import calculon  # noqa: E402
from calculon.llm import Llm, OptimalExecution  # noqa: E402
from calculon.util import pick  # noqa: E402

app = Llm.Application(calculon.io.read_json_file(os.path.join(checkout, app_file)))
syst = calculon.System(calculon.io.read_json_file(os.path.join(checkout, system_file)))
procs, max_batch = int(procs), int(max_batch)


def executions():
    num_nets = syst.num_networks
    for tp in Llm.get_all_tensor_parallelisms(procs, app.hidden, app.attn_heads):
        for pp in Llm.get_all_pipeline_parallelisms(procs, tp, app.num_blocks):
            dp = Llm.get_data_parallelism(procs, tp, pp)
            for ppint in Llm.get_valid_pipeline_interleavings(app.num_blocks, pp):
                batch_size = OptimalExecution.get_batch_size(dp, max_batch)
                if batch_size is None:
                    continue
                for recompute in ['full', 'attn_only', 'none']:
                    for sharding in pick(dp > 1, [True, False], [False]):
                        for comm in ['ar', 'p2p_rs_ag', 'rs_ag']:
                            for redo in pick(Llm.can_redo_ag(comm, recompute), [True, False], [False]):
                                for dpo in pick(dp > 1, [True, False], [False]):
                                    for tpo in pick(tp > 1, ['none', 'ring', 'pipe'], ['none']):
                                        for mbs in Llm.get_valid_microbatch_sizes(app.seq_size, tp, dp, batch_size, pp):
                                            for tn, pn, dn in itertools.product(pick(tp > 1, range(num_nets), [0]),
                                                                                pick(pp > 1, range(num_nets), [0]),
                                                                                pick(dp > 1, range(num_nets), [0])):
                                                yield {
                                                    'num_procs': procs, 'tensor_par': tp, 'pipeline_par': pp, 'data_par': dp,
                                                    'tensor_par_net': tn, 'pipeline_par_net': pn, 'data_par_net': dn,
                                                    'batch_size': batch_size, 'microbatch_size': mbs, 'datatype': 'float16',
                                                    'fused_activation': True, 'attention_type': 'multihead',
                                                    'activation_recompute': recompute, 'pipeline_interleaving': ppint,
                                                    'optimizer_sharding': sharding, 'tensor_par_comm_type': comm,
                                                    'tensor_par_overlap': tpo, 'seq_par_ag_redo': redo, 'data_par_overlap': dpo,
                                                    'weight_offload': False, 'activations_offload': False,
                                                    'optimizer_offload': False, 'training': True}


total = sum(1 for _ in executions())
# Every stride-th execution, so that the sample mixes the space's parts as the whole search does
# (its first executions, tp 1, mostly fail fast on memory).
stride = max(1, total // 4000)
done = good = 0
good_seconds = 0.0
start = time.process_time()
for i, exe in enumerate(executions()):
    if i % stride:
        continue
    if time.process_time() - start > seconds:
        break
    t0 = time.process_time()
    try:
        model = Llm(app, logging.Logger('sub'))
        model.compile(syst, Llm.Execution.from_json(exe))
        model.run(syst)
        model.get_stats_json(False)
        good += 1
        good_seconds += time.process_time() - t0
    except Llm.Error as e:
        if os.environ.get('CALCULON_RATE_DEBUG'):
            print(e, file=sys.stderr)
    done += 1
elapsed = time.process_time() - start
print(f'{total} executions in the space; evaluated {done} ({good} valid, every {stride}th) in {elapsed:.1f} s of CPU: '
      f'{done / elapsed:.1f} per second per core; the valid ones alone {good / max(good_seconds, 1e-9):.1f} per second per core')
