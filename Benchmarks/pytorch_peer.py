#!/usr/bin/env python3
"""PyTorch on the CPU, timed on the workloads of `noisyoptim-bench peer`.

`noisyoptim-bench peer` starts this script with `--serve` (once per thread count, since PyTorch
fixes its thread pool at start-up), sends it one workload name per line, and reads back one JSON
line of seconds per call for each; it alternates with timing NoisyOptim on the same workload,
so both sides see the same machine, and keeps the best of three rounds on each side. Run by hand,
the script times every workload once and prints the JSON:

    python3 Benchmarks/pytorch_peer.py --threads 1

Every figure is seconds per call: the median of 5 samples, each over calls lasting at least
0.2 s after a warm-up call, the same rule as the Swift harness. Where PyTorch offers several
implementations of an optimizer step (the default `foreach`, and `fused`), the faster one is
reported, so the comparison is against PyTorch at its best on this machine.
"""

import argparse
import json
import sys
import time

import torch
import torch.nn.functional as F


def seconds_per_call(body, repeats=5, minimum_seconds=0.2):
    body()  # warm-up: allocations, lazily built kernels
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            body()
        if time.perf_counter() - start >= minimum_seconds / 4 or calls >= 1 << 20:
            break
        calls *= 4
    samples = []
    for _ in range(repeats):
        total, n = 0.0, 0
        while total < minimum_seconds:
            start = time.perf_counter()
            for _ in range(calls):
                body()
            total += time.perf_counter() - start
            n += calls
        samples.append(total / n)
    samples.sort()
    return samples[len(samples) // 2]


def gemm(size):
    a, b = torch.randn(size, size), torch.randn(size, size)
    out = torch.empty(size, size)
    return seconds_per_call(lambda: torch.mm(a, b, out=out))


def mlp(sizes, activation, batch, with_step):
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        layers.append(torch.nn.Linear(fan_in, fan_out))
        if i < len(sizes) - 2:
            layers.append(activation())
    model = torch.nn.Sequential(*layers)
    x = torch.rand(batch, sizes[0]) * 2 - 1
    y = torch.arange(batch) % sizes[-1]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

    def step():
        optimizer.zero_grad(set_to_none=False)
        F.cross_entropy(model(x), y).backward()
        if with_step:
            optimizer.step()

    return seconds_per_call(step)


def optimizer_step(count, make, noise_std=None):
    """The faster of the default and the fused implementation of one step on `count` parameters."""
    best = float("inf")
    for variant in ({"foreach": True}, {"fused": True}):
        p = torch.nn.Parameter(torch.ones(count))
        p.grad = torch.full((count,), 1e-3)
        try:
            optimizer = make([p], **variant)
        except (RuntimeError, TypeError, ValueError):
            continue  # this torch build has no such implementation on the CPU
        if noise_std is None:
            body = optimizer.step
        else:
            noise = torch.empty(count)

            def body():
                noise.normal_(0, noise_std)
                p.grad.add_(noise)
                optimizer.step()

        with torch.no_grad():
            best = min(best, seconds_per_call(body))
    return best


def diagonal_net_problem():
    """Orvieto et al. 2023's diagonal linear net: d = 100, n = 40, a 5-sparse target, w0 = 1."""
    d, n = 100, 40
    generator = torch.Generator().manual_seed(100)
    x = torch.randn(n, d, generator=generator)
    target = torch.zeros(d)
    target[::17][:5] = 1
    return x, x @ (target * target), d, n


def diagonal_net_torch():
    """One perturbed GD step (sigma 0.03, lr 0.01) with autograd, as `DiagonalNetStep`."""
    x, y, d, n = diagonal_net_problem()
    w = torch.ones(d)
    perturbed = torch.empty(d, requires_grad=True)
    noise = torch.empty(d)

    def step():
        with torch.no_grad():
            perturbed.copy_(w).add_(noise.normal_(0, 0.03))
        perturbed.grad = None
        residual = x @ (perturbed * perturbed) - y
        ((residual * residual).sum() / (4 * n)).backward()
        with torch.no_grad():
            w.sub_(perturbed.grad, alpha=0.01)

    return seconds_per_call(step)


def diagonal_net_numpy():
    """The same step as a NumPy loop with the gradient written out: (1/n)(X^T r) * w~."""
    import numpy as np

    x, y, d, n = (v.numpy() if hasattr(v, "numpy") else v for v in diagonal_net_problem())
    w = np.ones(d, dtype=np.float32)
    rng = np.random.default_rng(1)

    def step():
        perturbed = w + rng.standard_normal(d, dtype=np.float32) * np.float32(0.03)
        residual = x @ (perturbed * perturbed) - y
        w[:] -= np.float32(0.01 / n) * (x.T @ residual) * perturbed

    return seconds_per_call(step)


def deep_noisy_net():
    """Neelakantan et al. 2015, Section 4.1: 784 -> 20 x 50 ReLU -> 10, batch 32, SGD lr 0.01,
    gradient clipped to global norm 10, annealed noise eta 0.01, gamma 0.55, as `DeepNoisyNetStep`."""
    sizes = [784] + [50] * 20 + [10]
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:])):
        layers.append(torch.nn.Linear(fan_in, fan_out))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    params = list(model.parameters())
    x = torch.rand(32, 784) * 2 - 1
    y = torch.arange(32) % 10
    optimizer = torch.optim.SGD(params, lr=0.01)
    t = [0]

    def step():
        optimizer.zero_grad(set_to_none=False)
        F.cross_entropy(model(x), y).backward()
        torch.nn.utils.clip_grad_norm_(params, 10.0, foreach=True)
        std = (0.01 / (1 + t[0]) ** 0.55) ** 0.5
        with torch.no_grad():
            for p in params:
                p.grad.add_(torch.randn_like(p), alpha=std)
        optimizer.step()
        t[0] += 1

    return seconds_per_call(step)


def multiplicative_net():
    """Wu et al. 2020: the 64-128-10 tanh net on all 1000 examples with Gaussian sampling weights
    W = 1/n + (sigma/n)(eps - mean eps), sigma^2 = (n - b)/b for b = 32, SGD lr 0.01."""
    n, b = 1000, 32
    model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.Tanh(), torch.nn.Linear(128, 10))
    x = torch.rand(n, 64) * 2 - 1
    y = torch.arange(n) % 10
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    sigma = ((n - b) / b) ** 0.5
    eps = torch.empty(n)

    def step():
        eps.normal_()
        weights = (1 + sigma * (eps - eps.mean())) / n
        optimizer.zero_grad(set_to_none=False)
        (weights * F.cross_entropy(model(x), y, reduction="none")).sum().backward()
        optimizer.step()

    return seconds_per_call(step)


def momentum(params, **variant):
    return torch.optim.SGD(params, lr=1e-3, momentum=0.9, **variant)


def adam(params, **variant):
    return torch.optim.Adam(params, lr=1e-3, **variant)


def adamw(params, **variant):
    return torch.optim.AdamW(params, lr=1e-3, **variant)


def adagrad(params, **variant):
    return torch.optim.Adagrad(params, lr=1e-2, **variant)


def rmsprop(params, **variant):
    return torch.optim.RMSprop(params, lr=1e-2, **variant)


def adadelta(params, **variant):
    return torch.optim.Adadelta(params, lr=1.0, **variant)


WORKLOADS = {
    "gemm512": lambda: gemm(512),
    "mlp784_forward_backward": lambda: mlp([784, 256, 256, 10], torch.nn.ReLU, 128, with_step=False),
    "mlp64_train_step": lambda: mlp([64, 128, 10], torch.nn.Tanh, 32, with_step=True),
    "momentum_step_10M": lambda: optimizer_step(10_000_000, momentum),
    "noisy_momentum_step_1M": lambda: optimizer_step(1_000_000, momentum, noise_std=0.1),
    "noisy_momentum_step_10M": lambda: optimizer_step(10_000_000, momentum, noise_std=0.1),
    "adam_step_10M": lambda: optimizer_step(10_000_000, adam),
    "noisy_adam_step_10M": lambda: optimizer_step(10_000_000, adam, noise_std=0.1),
    "adamw_step_10M": lambda: optimizer_step(10_000_000, adamw),
    "adagrad_step_10M": lambda: optimizer_step(10_000_000, adagrad),
    "rmsprop_step_10M": lambda: optimizer_step(10_000_000, rmsprop),
    "adadelta_step_10M": lambda: optimizer_step(10_000_000, adadelta),
    "diagonal_net_step": diagonal_net_torch,
    "diagonal_net_step_numpy": diagonal_net_numpy,
    "deep_noisy_net_step": deep_noisy_net,
    "multiplicative_net_step": multiplicative_net,
}


def run(description, workloads, versions):
    """The command line of a peer script: `--threads N`, and `--serve` to answer workload names
    read from standard input (else time every workload once). `versions()` gives the header's
    version fields, read after the thread count is set."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--serve", action="store_true", help="time the workloads named on standard input")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    header = {**versions(), "threads": torch.get_num_threads()}
    if not args.serve:
        print(json.dumps({**header, "seconds": {name: timed() for name, timed in workloads.items()}}))
        return
    print(json.dumps({**header, "workloads": list(workloads)}), flush=True)
    for line in sys.stdin:
        name = line.strip()
        print(json.dumps({"seconds": workloads[name]() if name in workloads else None}), flush=True)


def main():
    run(__doc__.splitlines()[0], WORKLOADS, lambda: {"torch": torch.__version__})


if __name__ == "__main__":
    main()
