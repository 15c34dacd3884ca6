"""Keeping a long sorted list up to date by its changes instead of sorting it again.

A device session holds 100,000 readings; what is derived from them in time order (the
current readings, the NEWS2 trend) is updated by the few rows that changed."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def replaced_in_order(items: Sequence[T], removed: Iterable[Any], added: Iterable[T],
                      key: Callable[[T], Any]) -> list[T]:
    """A new list: ``items`` (sorted by ``key``, each key once) without the items whose
    keys are in ``removed``, and with ``added`` each in its place (after any equal key, as
    a stable sort would put it). A removed key that is not there is ignored."""
    result = list(items)
    for wanted in removed:
        index = bisect_left(result, wanted, key=key)
        if index < len(result) and key(result[index]) == wanted:
            del result[index]
    for item in added:
        wanted = key(item)
        if not result or key(result[-1]) <= wanted:
            result.append(item)  # the usual case: a new reading is the newest
        else:
            result.insert(bisect_right(result, wanted, key=key), item)
    return result
