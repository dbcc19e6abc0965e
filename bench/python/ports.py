"""Python ports of five tsprof bench workloads (bench/workloads/*.ts), for kernprof and
memory_profiler to be measured on the same work, the same way."""

import math

WORDS = ["alpha", "Beta", "gamma", "delta", "Epsilon", "zeta", "eta", "theta"]


def text(words):
    return " ".join(WORDS[(i * 7) % 8] for i in range(words))


def tight(n):
    s = 0
    for i in range(n):
        s += i
    return s


def count_words(text):
    counts = {}
    for word in text.split(" "):
        w = word.lower()
        counts[w] = counts.get(w, 0) + 1
    return counts


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def centroid(n):
    points = []
    for i in range(n):
        points.append({"x": i % 100, "y": (i * 7) % 100})
    x = y = 0
    for p in points:
        x += p["x"]
        y += p["y"]
    return {"x": x / n, "y": y / n}


class Vec:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def add(self, o):
        return Vec(self.x + o.x, self.y + o.y)

    def scale(self, k):
        return Vec(self.x * k, self.y * k)

    @property
    def length(self):
        return math.hypot(self.x, self.y)


def walk(steps):
    p = Vec(0, 0)
    step = Vec(0.5, 0.25)
    for _ in range(steps):
        p = p.add(step).scale(0.999)
    return p.length
