"""Offline stand-in for ``W3D4_stringer_oribinned1.npz`` (mouse V1 responses to oriented gratings).

The tutorial downloads a recording of ~20,000 neurons (Stringer et al., 2019) binned to
one stimulus per degree. Grading machines are offline, so the grader writes this
synthetic file, with the same keys, into the kernel's working directory instead:

* ``resp``: ``(360, N_NEURONS)`` float32, each neuron's response z-scored over stimuli;
* ``stimuli``: ``(360,)`` float64, the orientation of each stimulus in degrees (0 to 359).

Most neurons are orientation tuned: a von Mises bump on twice the angle (so a neuron
answers to its preferred orientation and to the opposite direction) with a weaker
direction preference, plus noise; a fifth of them are untuned. Decoding orientation
from the population is learnable but not perfect. The file is the same on every machine.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

N_NEURONS = 1000
N_STIMULI = 360
UNTUNED_FRACTION = 0.2
SEED = 20210802


def make_stringer(path: str | Path) -> None:
    """Write the synthetic recording to ``path`` (an ``.npz`` file)."""
    rng = np.random.default_rng(SEED)
    stimuli = np.arange(N_STIMULI, dtype=np.float64)
    theta = np.deg2rad(stimuli)[:, None]

    preferred = rng.uniform(0.0, 2 * np.pi, N_NEURONS)[None, :]
    width = rng.uniform(1.0, 4.0, N_NEURONS)[None, :]          # von Mises concentration
    direction = rng.uniform(0.0, 0.6, N_NEURONS)[None, :]      # preference for one of the two directions
    gain = rng.lognormal(0.0, 0.4, N_NEURONS)[None, :]
    delta = theta - preferred
    tuning = gain * np.exp(width * (np.cos(2 * delta) - 1)) * (1 + direction * np.cos(delta)) / (1 + direction)
    tuning[:, rng.random(N_NEURONS) < UNTUNED_FRACTION] = 0.0

    noise = rng.normal(0.0, rng.uniform(0.3, 0.8, N_NEURONS)[None, :], (N_STIMULI, N_NEURONS))
    resp = tuning + noise
    resp = (resp - resp.mean(axis=0)) / resp.std(axis=0)
    np.savez(path, resp=resp.astype(np.float32), stimuli=stimuli)
