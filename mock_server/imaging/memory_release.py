"""Giving freed memory back to the operating system, after a reset.

Freeing a decoded image returns its memory to the C allocator, not necessarily to the system:
glibc keeps freed heap pages (in every render thread's arena) for later use, so a mock that once
edited a 40 MP source stayed hundreds of megabytes larger after ``POST /_mock/reset`` had emptied
every cache. ``give_back_memory`` collects Python's garbage and asks glibc to return what it
holds free (``malloc_trim``); elsewhere it only collects. A reset is rare, and the trim costs a
few milliseconds.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from collections.abc import Callable
from functools import cache


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError, TypeError):  # not glibc (musl, macOS, Windows)
        return None
    return trim


def give_back_memory() -> None:
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
