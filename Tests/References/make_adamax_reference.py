#!/usr/bin/env python3
# Checks the Double reference of AdamaxTests (PyTorch's Adamax rule written out by hand) against
# torch.optim.Adamax in float64 on the test's cases, and prints the largest difference.
#
#   python3 Tests/References/make_adamax_reference.py      (torch 2.15.0, CPU)
import torch

print(f"# torch {torch.__version__}")
theta0 = [0.5, -1.25, 2, 0.1, -0.3, 1.5, -2, 0.75, 0.05]
gradients = [
    [0.3, -0.2, 1.5, 0, 0.01, -4, 2.5, 0.7, -0.05],
    [-0.1, 0.4, 1.2, 0.2, -0.02, -3, 2, 0.6, 0.1],
    [0.25, -0.5, 0.9, -0.3, 0.05, -2.5, 1.5, 0.4, 0],
    [0.05, 0.1, 0.6, 0.1, -0.04, -2, 1, 0.2, -0.1],
]


def by_hand(lr, beta1, beta2, eps, weight_decay):
    # The rule as AdamaxTests writes it (β₁ rounded to Float32 in the correction, as the Swift
    # kernel does; here β₁ is taken exactly, the float64 torch run's convention).
    theta, m, u, out = list(theta0), [0.0] * 9, [0.0] * 9, []
    for t, g in enumerate(gradients):
        correction = 1 - beta1 ** (t + 1)
        for i in range(9):
            d = g[i] + weight_decay * theta[i]
            m[i] = beta1 * m[i] + (1 - beta1) * d
            u[i] = max(beta2 * u[i], abs(d) + eps)
            theta[i] -= lr / correction * m[i] / u[i]
        out.append(list(theta))
    return out


def torch_run(lr, beta1, beta2, eps, weight_decay):
    p = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.Adamax([p], lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay)
    out = []
    for g in gradients:
        p.grad = torch.tensor(g, dtype=torch.float64)
        optimizer.step()
        out.append(p.detach().tolist())
    return out


for case in [(0.01, 0.9, 0.999, 1e-8, 0.0), (0.01, 0.8, 0.5, 1e-3, 0.1), (0.002, 0.0, 0.9, 1e-8, 0.0)]:
    a, b = by_hand(*case), torch_run(*case)
    worst = max(abs(x - y) / max(abs(y), 1e-300) for ra, rb in zip(a, b) for x, y in zip(ra, rb))
    print(f"lr, β₁, β₂, ε, λ = {case}: largest relative difference {worst:.1e}; final θ {b[-1]}")
