"""Runs the iVAE reference's own models on our data: claim (f)'s cross-check.

The models and the MCC are ilkhem/iVAE's (`models/nets.py`: cleanIVAE, cleanVAE;
`metrics/mcc.py`: mean_corr_coef), trained by the loop of its `runners/ivae.py` with the
settings of its `configs/ivae.yaml` and `configs/vae.yaml` (3-layer xtanh nets of 100 units,
ELBO weights a, b, c, d = 100, 1, 0, 10 for the iVAE and 1000, 1, 1, 1 for the VAE, Adam at
lr 0.01 with ReduceLROnPlateau(factor 0.1, patience 0), batch 64 in shuffled epochs, 20 epochs).
The data are ours: a CSV written by `disentangle-lab data ivae --seed K --out dK.csv`.

Not run by the tests (it needs PyTorch, SciPy and a checkout of ilkhem/iVAE, which is not part
of this repository):

    PYTHONPATH=path/to/iVAE python docs/reference-checks/ivae_reference.py dK.csv vae|ivae SEED [replacement]

With `replacement` the minibatches are drawn uniformly with replacement (⌊N/64⌋ of them per
epoch) instead of in the reference's shuffled epochs: how much the MCC depends on the order
the points are visited in.

It prints the MCC on posterior samples (the reference's own evaluation), on posterior means,
and of the observations x themselves. docs/results.md (f) quotes what it gave.
"""
import sys

import numpy as np
import torch
from torch import optim
from torch.utils.data import DataLoader, RandomSampler, TensorDataset

from metrics.mcc import mean_corr_coef as mcc
from models.nets import cleanIVAE, cleanVAE

torch.set_num_threads(1)
csv, kind, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
replacement = sys.argv[4:] == ['replacement']
table = np.loadtxt(csv, delimiter=',', skiprows=1, dtype=np.float32)  # s0,s1,x0,x1,segment
s, x, segment = table[:, :2], table[:, 2:4], table[:, 4].astype(int)
u = np.eye(segment.max() + 1, dtype=np.float32)[segment]
np.random.seed(seed)
torch.manual_seed(seed)
X, U, S = map(torch.from_numpy, (x, u, s))
data = TensorDataset(X, U, S)
if replacement:
    sampler = RandomSampler(data, replacement=True, num_samples=64 * (len(X) // 64))
    loader = DataLoader(data, batch_size=64, sampler=sampler, drop_last=True)
else:
    loader = DataLoader(data, batch_size=64, shuffle=True, drop_last=True)
if kind == 'ivae':
    model = cleanIVAE(2, 2, u.shape[1], hidden_dim=100, n_layers=3, activation='xtanh', slope=.1)
    a, b, c, d = 100, 1, 0, 10
else:
    model = cleanVAE(2, 2, hidden_dim=100, n_layers=3, activation='xtanh', slope=.1)
    a, b, c, d = 1000, 1, 1, 1
opt = optim.Adam(model.parameters(), lr=0.01)
scheduler = optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.1, patience=0)
for epoch in range(20):
    total = 0.0
    for xb, ub, _ in loader:
        opt.zero_grad()
        loss, _ = model.elbo(xb, ub, len(X), a=a, b=b, c=c, d=d)
        loss.backward()
        opt.step()
        total += loss.item()
    scheduler.step(total / len(loader))
with torch.no_grad():
    if kind == 'ivae':
        _, means, _, z, _ = model(X, U)
    else:
        _, means, _, z = model(X)
print(f'{kind} {csv} seed={seed} replacement={replacement} mcc_samples={mcc(s, z.numpy()):.4f} '
      f'mcc_means={mcc(s, means.numpy()):.4f} mcc_x={mcc(s, x):.4f}')
