#!/usr/bin/env python3
# The learning rates of PyTorch's schedulers that PyTorchScheduleTests pins Schedule's closed forms to.
#
#   python3 Tests/References/make_schedule_reference.py
#
# (Outside the test target's folder, so SwiftPM does not see it.)
#
# Run with torch 2.15.0 (CPU) to produce the numbers in Tests/NoisyOptimTests/Optimizers/PyTorchScheduleTests.swift. Each line is one
# case: the name, then lr at steps 0, 1, …, read from the optimizer before each step, exactly as
# a training loop applies it (PyTorch steps the scheduler after the optimizer).
import torch

print(f"# torch {torch.__version__}")


def trace(make_scheduler, steps, lr):
    parameter = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([parameter], lr=lr)
    scheduler = make_scheduler(optimizer)
    values = []
    for _ in range(steps):
        values.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return values


S = torch.optim.lr_scheduler
cases = [
    ("multiStep", 16, 0.5, lambda o: S.MultiStepLR(o, milestones=[3, 7, 7, 12], gamma=0.1)),
    ("restartsDoubling", 40, 0.5, lambda o: S.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.01)),
    ("restartsFixed", 13, 0.3, lambda o: S.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=1)),
    ("polynomialSquare", 14, 0.2, lambda o: S.PolynomialLR(o, total_iters=10, power=2.0)),
    ("polynomialRoot", 9, 0.2, lambda o: S.PolynomialLR(o, total_iters=6, power=0.5)),
    ("oneCycleDefaults", 20, 0.1,
     lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=20, cycle_momentum=False)),
    ("oneCycleLinearThreePhase", 20, 0.1,
     lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=20, pct_start=0.25, anneal_strategy="linear",
                            div_factor=10, final_div_factor=100, three_phase=True, cycle_momentum=False)),
]
for name, steps, lr, make in cases:
    print(f'("{name}", [' + ", ".join(repr(v) for v in trace(make, steps, lr)) + "]),")
