"""Hidden tests for `batch_gradient_descent`: random mini-batches of m distinct points, steps scaled by N/m.

The batches are random, so each update is checked against the batch the student's
run reports for it; whatever generator calls draw them, a seeded run must repeat.
An update computed with the student's own `grad_loss_i` is accepted too, so a
mistake in that exercise does not cost points here.
"""

import numpy as np
import pytest
import torch

from grader.errors import StudentError
from grader.expect import expect, expect_responsive_to_any, expect_tensor

pytestmark = pytest.mark.exercise("batch_gradient_descent")


def problem(reference, rng, n=None):
    """A random dataset like the lab's and a moderate step size."""
    X, y = reference.two_clusters(rng, n or int(rng.integers(10, 25)))
    return X, y, reference.safe_step(X, float(rng.uniform(0.3, 1.0)))


def new_seed(rng):
    return int(rng.integers(0, 2**31 - 1))


def run(student, X, y, eta, T, m, seed):
    """Call the student's function; check the two outputs' types and shapes; return them as numpy arrays."""
    result = student.batch_gradient_descent(X, y, eta, T, m, seed)
    expect(isinstance(result, (tuple, list)) and len(result) == 2,
           "batch_gradient_descent should return two values: W and batches")
    N, d = X.shape
    W, batches = (np.asarray(v) if isinstance(v, (list, tuple)) else v for v in result)
    W = expect_tensor(W, shape=(T + 1, d), dtype="float", allow_numpy=True,
                      what=f"W (for T = {T} updates and d = {d})")
    batches = expect_tensor(batches, shape=(T, m), dtype="int", allow_numpy=True,
                            what=f"batches (for T = {T} updates of m = {m} points)")
    return W.double().numpy(), batches.long().numpy()


def check_batches_valid(batches, N):
    for batch in batches:
        expect(bool(np.all((batch >= 0) & (batch < N))),
               f"every index in batches should pick one of the N = {N} points")
        expect(len(set(batch.tolist())) == len(batch),
               "each batch should hold m distinct points (draw them without replacement)")


def expected_steps(X, y, eta, W, batches, grad):
    N, m = X.shape[0], batches.shape[1]
    rows = []
    for w, batch in zip(W[:-1], batches):
        total = 0
        for i in batch:
            total = total + np.asarray(grad(w, X[i], y[i]), dtype=np.float64)
        rows.append(w - eta * (N / m) * total)
    return np.array(rows)


def student_grad(student):
    def grad(w, x, y):
        value = student.grad_loss_i(w, x, y)
        return value.numpy() if isinstance(value, torch.Tensor) else value
    return grad


def steps_agree(got, expected):
    return got.shape == expected.shape and np.allclose(got, expected, rtol=1e-7, atol=1e-9)



def weights_along(X, y, eta, batches, grad):
    """The weights W[0] = 0, W[1], ... of descent along the given batches, shape (T + 1, d)."""
    N, m = X.shape[0], batches.shape[1]
    w = np.zeros(X.shape[1])
    rows = [w]
    for batch in batches:
        w = w - eta * (N / m) * sum(np.asarray(grad(w, X[i], y[i]), dtype=np.float64) for i in batch)
        rows.append(w)
    return np.array(rows)


@pytest.mark.points(0)
def test_weights_depend_on_the_data(student, reference, rng):
    """The gate of the tests of shapes and batches: zero weights with any batches meet them too.

    Weights that stay put only because the student's own grad_loss_i is constant are
    not held against batch_gradient_descent: W may instead respond as descent along its
    own batches with that gradient does.
    """
    T, m = 5, 4
    problems = [(*problem(reference, rng, n=12), new_seed(rng)) for _ in range(3)]
    runs = [run(student, X, y, eta, T, m, seed) for X, y, eta, seed in problems]
    candidates = [[reference.batch_gradient_descent(X, y, eta, T, m, seed)[0] for X, y, eta, seed in problems]]
    try:
        candidates.append([weights_along(X, y, eta, batches, student_grad(student))
                           for (X, y, eta, _), (_, batches) in zip(problems, runs)])
    except (StudentError, ValueError, TypeError, IndexError):
        pass  # batches outside the data, or a gradient that fails: only the reference's runs can tell
    expect_responsive_to_any([W for W, _ in runs], candidates,
                             what=f"W on datasets of N = {problems[0][0].shape[0]} points",
                             hint="each update should move w by -eta times (N / m) times the summed gradient of "
                                  "the batch's points")


@pytest.mark.points(0.5)
@pytest.mark.counts_if("weights_depend_on_the_data")
def test_returns_weights_and_batches(student, reference, rng):
    X, y, eta = problem(reference, rng)
    W, _ = run(student, X, y, eta, int(rng.integers(3, 9)), int(rng.integers(2, 6)), new_seed(rng))
    expect(bool(np.all(W[0] == 0)), "W[0] should be the starting point, the zero vector")


@pytest.mark.points(1)
@pytest.mark.counts_if("weights_depend_on_the_data")
def test_batches_are_m_distinct_points(student, reference, rng):
    X, y, eta = problem(reference, rng, n=20)
    _, batches = run(student, X, y, eta, 30, 8, new_seed(rng))
    check_batches_valid(batches, X.shape[0])


@pytest.mark.points(2.5)
def test_each_update_follows_its_batch(student, reference, rng):
    for _ in range(2):
        X, y, eta = problem(reference, rng)
        N = X.shape[0]
        T, m = int(rng.integers(5, 11)), int(rng.integers(2, N // 3))
        W, batches = run(student, X, y, eta, T, m, new_seed(rng))
        check_batches_valid(batches, N)
        expect(bool(np.all(W[0] == 0)), "W[0] should be the starting point, the zero vector")
        if steps_agree(W[1:], expected_steps(X, y, eta, W, batches, reference.grad_loss_i)):
            continue
        try:
            own = steps_agree(W[1:], expected_steps(X, y, eta, W, batches, student_grad(student)))
        except (StudentError, ValueError, TypeError):
            own = False
        expect(own, f"batch_gradient_descent with N = {N} points and batches of m = {m}: some update does not "
                    f"follow from its batch. Each update should move w by -eta times (N / m) times the summed "
                    f"gradient of the batch's points, evaluated at the current w")


@pytest.mark.points(1)
def test_full_batch_is_gradient_descent(student, reference, rng):
    X, y, eta = problem(reference, rng)
    N, T = X.shape[0], int(rng.integers(3, 8))
    W, batches = run(student, X, y, eta, T, N, new_seed(rng))
    expect(all(sorted(batch.tolist()) == list(range(N)) for batch in batches),
           "with m = N every batch should contain every point once")
    if np.allclose(W, reference.weight_history(X, y, eta, T), rtol=1e-7, atol=1e-9):
        return
    try:
        own = np.allclose(W, reference.weight_history(X, y, eta, T, grad=student_grad(student)),
                          rtol=1e-7, atol=1e-9)
    except (StudentError, ValueError, TypeError):
        own = False
    expect(own, "with m = N, batch_gradient_descent should take exactly the steps of full gradient descent")


@pytest.mark.points(1)
@pytest.mark.counts_if("weights_depend_on_the_data")
def test_seed_makes_runs_reproducible(student, reference, rng):
    X, y, eta = problem(reference, rng)
    T, m = 6, 4
    seed = new_seed(rng)
    first = run(student, X, y, eta, T, m, seed)
    run(student, X, y, eta, T, m, new_seed(rng))  # another run in between must not matter
    again = run(student, X, y, eta, T, m, seed)
    expect(all(np.array_equal(a, b) for a, b in zip(first, again)),
           "two runs with the same seed should return the same W and batches: draw the batches from the "
           "seeded generator")
    other = run(student, X, y, eta, T, m, seed + 1)
    expect(not np.array_equal(first[1], other[1]), "runs with different seeds should draw different batches")


@pytest.mark.points(1)
@pytest.mark.counts_if("weights_depend_on_the_data")
def test_batches_vary_and_cover_the_data(student, reference, rng):
    X, y, eta = problem(reference, rng, n=20)
    N, m = X.shape[0], 4
    _, batches = run(student, X, y, eta, 30, m, new_seed(rng))
    expect(any(set(b.tolist()) != set(batches[0].tolist()) for b in batches[1:]),
           "every update should draw a new random batch")
    used = set(batches.ravel().tolist())
    expect(len(used) > 2 * m and min(used) < N // 2 <= max(used),
           "over 30 updates the batches should be drawn from the whole dataset, not from a few points")
