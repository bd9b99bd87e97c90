#!/usr/bin/env python3
"""Opacus on the CPU, timed on the workloads of `noisyoptim-bench privacy`.

`noisyoptim-bench privacy` starts this script with `--serve` once per thread count, as
`noisyoptim-bench peer` starts pytorch_peer.py: it sends one workload name per line and reads back
one JSON line of seconds per call, alternating with timing NoisyOptim on the same workload. By hand:

    python3 Benchmarks/opacus_peer.py --threads 1

The workload is one DP-SGD training step of the MLP 784-256-256-10 (ReLU, softmax cross-entropy)
on a fixed random batch of 128: forward, backward with per-example clipping to C = 1, Gaussian
noise with sigma = 1.1 divided by the expected batch size 128, and the SGD update. Opacus offers two
ways to clip: per-sample gradients from hooks (GradSampleModule + DPOptimizer, the default) and
ghost clipping (Li et al. 2022: norms first, then a second backward with the clipped weights);
both are timed, and the plain PyTorch step of the same model and batch for reference. Timing: the
median of 5 samples over >= 0.2 s each after a warm-up, as pytorch_peer.py.
"""

import sys
import warnings

import torch
import torch.nn.functional as F

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from pytorch_peer import run, seconds_per_call  # noqa: E402  (the same timing rule and protocol)

warnings.simplefilter("ignore")
SIZES, BATCH, CLIP, SIGMA, LR = [784, 256, 256, 10], 128, 1.0, 1.1, 0.05


def model_and_batch():
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(SIZES, SIZES[1:])):
        layers.append(torch.nn.Linear(fan_in, fan_out))
        if i < len(SIZES) - 2:
            layers.append(torch.nn.ReLU())
    x = torch.rand(BATCH, SIZES[0]) * 2 - 1
    y = torch.arange(BATCH) % SIZES[-1]
    return torch.nn.Sequential(*layers), x, y


def plain_step():
    model, x, y = model_and_batch()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)

    def step():
        optimizer.zero_grad(set_to_none=False)
        F.cross_entropy(model(x), y).backward()
        optimizer.step()

    return seconds_per_call(step)


def hooks_step():
    from opacus import GradSampleModule
    from opacus.optimizers import DPOptimizer

    model, x, y = model_and_batch()
    module = GradSampleModule(model)
    optimizer = DPOptimizer(torch.optim.SGD(module.parameters(), lr=LR), noise_multiplier=SIGMA,
                            max_grad_norm=CLIP, expected_batch_size=BATCH)

    def step():
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(module(x), y).backward()
        optimizer.step()

    return seconds_per_call(step)


def ghost_step():
    from opacus.grad_sample import GradSampleModuleFastGradientClipping
    from opacus.optimizers import DPOptimizerFastGradientClipping
    from opacus.utils.fast_gradient_clipping_utils import DPLossFastGradientClipping

    model, x, y = model_and_batch()
    module = GradSampleModuleFastGradientClipping(model, max_grad_norm=CLIP, use_ghost_clipping=True)
    optimizer = DPOptimizerFastGradientClipping(torch.optim.SGD(module.parameters(), lr=LR), noise_multiplier=SIGMA,
                                                max_grad_norm=CLIP, expected_batch_size=BATCH)
    criterion = DPLossFastGradientClipping(module, optimizer, torch.nn.CrossEntropyLoss(reduction="mean"))

    def step():
        optimizer.zero_grad(set_to_none=True)
        criterion(module(x), y).backward()
        optimizer.step()

    return seconds_per_call(step)


WORKLOADS = {
    "mlp784_plain_sgd_step": plain_step,
    "mlp784_dpsgd_step_hooks": hooks_step,
    "mlp784_dpsgd_step_ghost": ghost_step,
}


def versions():
    import opacus
    return {"torch": torch.__version__, "opacus": opacus.__version__}


def main():
    run(__doc__.splitlines()[0], WORKLOADS, versions)


if __name__ == "__main__":
    main()
