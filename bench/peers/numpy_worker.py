"""NumPy peer: reads JSON requests on stdin, answers one JSON line per
request. Thread count comes from OPENBLAS_NUM_THREADS.

Requests:
  {m, k, n, reps, warmup}                  times np.matmul (seconds per rep)
  {op: "einsum", subscripts, shapes, reps, warmup}
      times np.einsum on numpy's best path: the path einsum_path finds with
      optimize=('optimal', 1e10), planned once and passed in, so planning is
      not timed (seconds per rep)
  {op: "einsum_path", subscripts, shapes, optimize, timeout?}
      plans with np.einsum_path; optimize is a name or [name, memory_limit].
      Answers {path, cost, printed, seconds}: cost is the sum of the steps'
      FLOPs by numpy's own helpers (opt_einsum's model), printed the figure
      numpy prints (cost + 1); null fields when planning ran past timeout
"""
import json
import signal
import sys
import time

import numpy as np
from numpy.core.einsumfunc import _find_contraction, _flop_count, _parse_einsum_input

cache = {}
rng = np.random.default_rng(0)


def matmul(req):
    key = (req["m"], req["k"], req["n"])
    if key not in cache:
        cache.clear()
        cache[key] = (
            rng.standard_normal((req["m"], req["k"]), dtype=np.float32),
            rng.standard_normal((req["k"], req["n"]), dtype=np.float32),
        )
    a, b = cache[key]
    for _ in range(req.get("warmup", 0)):
        np.matmul(a, b)
    out = []
    for _ in range(req["reps"]):
        t0 = time.perf_counter()
        np.matmul(a, b)
        out.append(time.perf_counter() - t0)
    return out


def einsum(req):
    key = ("einsum", req["subscripts"], json.dumps(req["shapes"]))
    if key not in cache:
        cache.clear()
        ops = [rng.standard_normal(s, dtype=np.float32) for s in req["shapes"]]
        path, _ = np.einsum_path(req["subscripts"], *ops, optimize=("optimal", 1e10))
        cache[key] = (ops, path)
    ops, path = cache[key]
    sub = req["subscripts"]
    for _ in range(req.get("warmup", 0)):
        np.einsum(sub, *ops, optimize=path)
    out = []
    for _ in range(req["reps"]):
        t0 = time.perf_counter()
        np.einsum(sub, *ops, optimize=path)
        out.append(time.perf_counter() - t0)
    return out


def path_cost(sub, ops, path):
    """The steps' FLOPs as einsum_path sums them (before its + 1)."""
    inputs, output, ops = _parse_einsum_input([sub, *ops])
    sets = [set(t) for t in inputs.split(",")]
    sizes = {}
    for term, op in zip(inputs.split(","), ops):
        for ch, d in zip(term, op.shape):
            sizes[ch] = d if sizes.get(ch, 1) == 1 else sizes[ch]
    cost = 0
    for step in path[1:]:
        inds = tuple(sorted(step, reverse=True))
        _, sets, removed, span = _find_contraction(inds, sets, set(output))
        cost += _flop_count(span, removed, len(inds), sizes)
    return cost


class Timeout(Exception):
    pass


def on_alarm(_sig, _frame):
    raise Timeout()


def einsum_path(req):
    ops = [np.empty(s, dtype=np.float32) for s in req["shapes"]]
    opt = req["optimize"]
    if isinstance(opt, list):
        opt = (opt[0], opt[1])
    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, req.get("timeout", 0))
    t0 = time.perf_counter()
    try:
        path, text = np.einsum_path(req["subscripts"], *ops, optimize=opt)
    except Timeout:
        return {"path": None, "cost": None, "printed": None, "seconds": time.perf_counter() - t0}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    seconds = time.perf_counter() - t0
    printed = float(text.split("Optimized FLOP count:")[1].split()[0])
    return {"path": [list(s) for s in path[1:]], "cost": path_cost(req["subscripts"], ops, path), "printed": printed, "seconds": seconds}


HANDLERS = {"einsum": einsum, "einsum_path": einsum_path}

for line in sys.stdin:
    req = json.loads(line)
    print(json.dumps(HANDLERS.get(req.get("op"), matmul)(req)), flush=True)
