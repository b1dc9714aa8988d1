"""NumPy matmul peer: reads JSON requests on stdin, times np.matmul, answers
one JSON line per request. Thread count comes from OPENBLAS_NUM_THREADS."""
import json
import sys
import time

import numpy as np

cache = {}
rng = np.random.default_rng(0)
for line in sys.stdin:
    req = json.loads(line)
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
    print(json.dumps(out), flush=True)
