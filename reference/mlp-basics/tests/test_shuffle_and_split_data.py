"""Hidden tests for `shuffle_and_split_data`: a seeded shuffle, then a 20% / 80% split.

Any seeded shuffle is accepted (torch.randperm, numpy's permutation, argsort of
random keys...): the tests check the properties of the split, not one permutation.
The data cut at 20% without a shuffle, or zeros of the right shapes, has some of those
properties too: they count only while the split responds to the data, as the reference's does.
"""

import pytest
import torch

from grader.expect import expect, expect_responsive, expect_tensor

pytestmark = pytest.mark.exercise("shuffle_and_split_data")

NAMES = ("X_test", "y_test", "X_train", "y_train")


def dataset(gen, *, labels="float", n=None, d=None):
    """Rows carry their own id in column 0; N is a multiple of 5, so every reading of 20% agrees."""
    n = n or 5 * int(torch.randint(20, 200, (1,), generator=gen))
    d = d or int(torch.randint(2, 5, (1,), generator=gen))
    X = torch.randn(n, d, generator=gen)
    X[:, 0] = torch.randperm(n, generator=gen).float()
    if labels == "float":
        y = torch.randn(n, generator=gen)
    else:  # class labels, as in the spiral dataset
        y = torch.randint(0, 4, (n,), generator=gen)
    return X, y


def new_seed(rng):
    # Within numpy's legacy range too, so np.random.seed(seed) is a valid way to use it.
    return int(rng.integers(0, 2**31 - 1))


def split(student, X, y, seed):
    """Call the student's function; check the four outputs' types, shapes and dtypes."""
    result = student.shuffle_and_split_data(X, y, seed)
    expect(isinstance(result, (tuple, list)) and len(result) == 4,
           "shuffle_and_split_data should return four values: X_test, y_test, X_train, y_train")
    n, d = X.shape
    n_test = n // 5
    shapes = ((n_test, d), (n_test,), (n - n_test, d), (n - n_test,))
    dtypes = (X.dtype, y.dtype, X.dtype, y.dtype)
    return [
        expect_tensor(value, shape=shape, dtype=dtype, allow_numpy=True, what=f"{name} (for {n} samples)")
        for value, name, shape, dtype in zip(result, NAMES, shapes, dtypes)
    ]


def row_indices(X, X_part, what):
    """Which rows of X the rows of X_part are (column 0 holds each row's id)."""
    n = X.shape[0]
    ids = X_part[:, 0]
    expect(bool(torch.all((ids == ids.round()) & (ids >= 0) & (ids < n))),
           f"some rows of {what} are not rows of X")
    position = torch.empty(n, dtype=torch.long)
    position[X[:, 0].long()] = torch.arange(n)
    index = position[ids.long()]
    expect(torch.equal(X_part, X[index]), f"some rows of {what} are not rows of X")
    return index


def order(X, parts):
    """The permutation a split applied: test rows first, then train rows."""
    X_test, _, X_train, _ = parts
    return torch.cat([row_indices(X, X_test, "X_test"), row_indices(X, X_train, "X_train")])


@pytest.mark.points(0)
def test_answers_depend_on_the_inputs(student, reference, gen, rng):
    """The gate of the properties below: the split changes with the data and is not the data in order."""
    n, d = 5 * int(torch.randint(20, 200, (1,), generator=gen)), 3  # one size, so that zeros are the same
    calls = [(*dataset(gen, n=n, d=d), new_seed(rng)) for _ in range(3)]
    got = [split(student, X, y, seed) for X, y, seed in calls]
    with torch.random.fork_rng():  # the reference seeds torch's global generator: leave the grader's alone
        expected = [reference.shuffle_and_split_data(X, y, seed) for X, y, seed in calls]
    # the rows of X_test then X_train, against X itself: handing the data back in order is caught
    expect_responsive([(p[0], p[2]) for p in got], [(p[0], p[2]) for p in expected], inputs=[X for X, _, _ in calls],
                      what=f"the split (X_test, then X_train) of different data sets of {n} samples",
                      hint="shuffle the rows of X (and y with them) before splitting")


@pytest.mark.points(1)
@pytest.mark.counts_if("answers_depend_on_the_inputs")
def test_split_sizes_are_20_and_80_percent(student, gen, rng):
    for labels in ("float", "int"):
        X, y = dataset(gen, labels=labels)
        split(student, X, y, new_seed(rng))


@pytest.mark.points(1.5)
@pytest.mark.counts_if("answers_depend_on_the_inputs")
def test_every_row_lands_in_exactly_one_split(student, gen, rng):
    X, y = dataset(gen)
    index = order(X, split(student, X, y, new_seed(rng)))
    expect(torch.equal(index.sort().values, torch.arange(X.shape[0])),
           "every row of X should appear exactly once in X_test or X_train (none lost, none repeated)")


@pytest.mark.points(1.5)
@pytest.mark.counts_if("answers_depend_on_the_inputs")
def test_features_and_labels_stay_paired(student, gen, rng):
    for labels in ("float", "int"):
        X, y = dataset(gen, labels=labels)
        X_test, y_test, X_train, y_train = split(student, X, y, new_seed(rng))
        for X_part, y_part, name in ((X_test, y_test, "test"), (X_train, y_train, "train")):
            index = row_indices(X, X_part, f"X_{name}")
            expect(torch.equal(y_part, y[index]),
                   f"y_{name}[i] should be the label of the row X_{name}[i]: shuffle X and y with the same "
                   f"permutation")


@pytest.mark.points(1)
@pytest.mark.counts_if("answers_depend_on_the_inputs")
def test_same_seed_gives_the_same_split(student, gen, rng):
    X, y = dataset(gen)
    seed = new_seed(rng)
    first = split(student, X, y, seed)
    split(student, X, y, new_seed(rng))  # another call in between must not matter
    again = split(student, X, y, seed)
    expect(all(torch.equal(a, b) for a, b in zip(first, again)),
           "two calls with the same seed should return the same split: draw the shuffle from the seeded "
           "generator")


@pytest.mark.points(1)
def test_data_is_shuffled_and_depends_on_the_seed(student, gen, rng):
    X, y = dataset(gen)
    seed = new_seed(rng)
    first = order(X, split(student, X, y, seed))
    expect(not torch.equal(first, torch.arange(X.shape[0])), "the rows should be shuffled before splitting")
    other = order(X, split(student, X, y, seed + 1))
    expect(not torch.equal(first, other), "different seeds should give different shuffles")
