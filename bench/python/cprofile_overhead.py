"""cProfile's overhead on the ports: `python3 cprofile_overhead.py PAIRS`.

Unprofiled and profiled runs alternate in one process (a `cProfile.Profile` enabled around the
call, as `python -m cProfile` has it enabled around the whole script); the result is the median
ratio per workload, as JSON."""
import cProfile
import importlib.util
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("ports", os.path.join(HERE, "ports.py"))
ports = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ports)

pairs = int(sys.argv[1])
work = {"tight": (ports.tight, (250_000,)), "strings": (ports.count_words, (ports.text(100_000),)), "fib": (ports.fib, (18,))}
results = {}
for key, (fn, args) in work.items():
    ratios = []
    for _ in range(pairs):
        t0 = time.perf_counter()
        fn(*args)
        t1 = time.perf_counter()
        p = cProfile.Profile()
        p.enable()
        fn(*args)
        p.disable()
        t2 = time.perf_counter()
        ratios.append((t2 - t1) / (t1 - t0))
    results[key] = statistics.median(ratios)
json.dump(results, sys.stdout)
