"""grader/__init__.py is the public surface: a sorted __all__ of names that exist."""

import grader


def test_all_is_sorted_and_importable() -> None:
    assert grader.__all__ == sorted(grader.__all__)
    for name in grader.__all__:
        assert hasattr(grader, name), name
