"""Moving average and moving median along the rows, in numpy alone.

The accelerometer detector and sleep/wake estimate need two sliding-window
filters along time with the edge sample held (``mode="nearest"``). These give
exactly the numbers of ``scipy.ndimage.uniform_filter1d`` and
``scipy.ndimage.median_filter(size=(width, 1))`` (same window placement,
same order of floating-point operations), without importing
``scipy.ndimage`` (a third of a second of a short run's start-up) and, for
the median, several times faster for the windows used here (25-63 rows).

>>> x = np.array([[1.0], [5.0], [2.0], [8.0], [3.0]])
>>> moving_median(x, 3)[:, 0].tolist()
[1.0, 2.0, 5.0, 3.0, 3.0]
>>> moving_average(x, 2)[:, 0].tolist()
[1.0, 3.0, 3.5, 5.0, 5.5]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
#: Windows of at most this many values are partitioned at a time (bounds the memory).
MEDIAN_CHUNK_VALUES = 1 << 18
#: Samples averaged into blocks at a time by :func:`block_means` (a chunk stays in the cache).
BLOCK_CHUNK_SAMPLES = 1 << 16


def as_rows(acc: npt.ArrayLike) -> npt.NDArray[np.floating]:
    """``acc`` as an array, float32 and float64 kept (not copied), others float64.

    An object that reads its rows when sliced (``shape``, ``ndim``, a float
    ``dtype`` and ``[a:b]``, such as :class:`plms.io.accel._common.LazyAxes`)
    is kept as it is: :func:`block_means` reads it a chunk at a time, so a
    long recording is never in memory whole.
    """
    if not isinstance(acc, np.ndarray) and getattr(acc, "dtype", None) in (
            np.float32, np.float64) and getattr(acc, "ndim", None) == 2:
        return acc   # type: ignore[return-value]   # read by row slices
    x = np.asarray(acc)
    if x.dtype not in (np.float32, np.float64):
        x = x.astype(np.float64)
    return x


def _padded(x: FloatArray, width: int) -> FloatArray:
    """``x`` (rows x columns) with the edge rows repeated: ``width // 2`` before, the rest after.

    This is where ``scipy.ndimage`` places a window of ``width`` with origin 0:
    row ``i`` of the output sees input rows ``i - width // 2`` to
    ``i - width // 2 + width - 1``.
    """
    before = width // 2
    after = width - 1 - before
    return np.concatenate([np.repeat(x[:1], before, axis=0), x,
                           np.repeat(x[-1:], after, axis=0)])


def _checked(x: npt.ArrayLike, width: int) -> FloatArray:
    if width < 1:
        raise ValueError(f"the window must hold at least one row, got {width}")
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"expected rows x columns, got shape {arr.shape}")
    return arr


def block_means(x: npt.NDArray[np.floating], step: int, scale: float = 1.0) -> FloatArray:
    """Means of consecutive blocks of ``step`` rows of ``x`` times ``scale``, in float64.

    The same numbers as ``(x.astype(float64) * scale)[:n * step].reshape(n, step,
    k).mean(axis=1)`` with ``n = len(x) // step`` (a partial last block is
    dropped), computed a chunk of rows at a time, without a float64 copy of
    the whole of ``x``. NaN propagates to its block.

    Examples
    --------
    >>> block_means(np.array([[1.0], [2.0], [3.0], [5.0], [9.0]], dtype=np.float32), 2).tolist()
    [[1.5], [4.0]]
    """
    if step < 1:
        raise ValueError(f"a block must hold at least one row, got {step}")
    n, k = x.shape[0] // step, x.shape[1]
    out = np.empty((n, k))
    rows = max(1, BLOCK_CHUNK_SAMPLES // step)
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        part = np.multiply(x[start * step: stop * step], scale, dtype=np.float64)
        blocks = part.reshape(stop - start, step, k)
        # summed in order, row by row of the block, as numpy's mean over that axis
        # does (and 3 times faster than it here)
        total = out[start:stop]
        np.copyto(total, blocks[:, 0])
        for row in range(1, step):
            total += blocks[:, row]
        total /= step
    return out


def moving_average(x: npt.ArrayLike, width: int) -> FloatArray:
    """Mean over a window of ``width`` rows of each column, edges held.

    As ``scipy.ndimage.uniform_filter1d(x, width, axis=0, mode="nearest")``:
    a running sum (the first window summed in order, then plus the entering
    row minus the leaving one), divided by ``width`` at each row.

    Parameters
    ----------
    x : array_like, shape (n, k)
    width : int
        Window length in rows (at least 1).

    Returns
    -------
    array of float64, shape (n, k)

    Examples
    --------
    >>> moving_average(np.array([[0.0], [3.0], [6.0]]), 3)[:, 0].tolist()
    [1.0, 3.0, 5.0]
    """
    arr = _checked(x, width)
    n = arr.shape[0]
    if n == 0:
        return arr.copy()
    before = width // 2
    after = width - 1 - before
    sums = np.empty_like(arr)
    sums[0] = 0.0
    for k in range(width):  # the first window, edge rows repeated (row k - before of x)
        sums[0] += arr[min(max(k - before, 0), n - 1)]
    # the change at row i: row i + after enters, row i - 1 - before leaves (both clipped
    # to the signal, as if it were padded with its edge rows); the rows where neither is
    # clipped are two slices of x, the few others are gathered
    lo, hi = min(before + 1, n), max(n - after, before + 1)
    if hi > lo:
        np.subtract(arr[lo + after: hi + after], arr[lo - 1 - before: hi - 1 - before],
                    out=sums[lo:hi])
    edges = np.r_[1:min(lo, n), max(hi, lo):n]
    if edges.size:
        sums[edges] = (arr[np.minimum(edges + after, n - 1)]
                       - arr[np.maximum(edges - 1 - before, 0)])
    np.cumsum(sums, axis=0, out=sums)
    sums /= width
    return sums


def moving_median(x: npt.ArrayLike, width: int) -> FloatArray:
    """Median over a window of ``width`` rows of each column, edges held.

    As ``scipy.ndimage.median_filter(x, size=(width, 1), mode="nearest")``:
    for an even ``width`` the upper of the two middle values. NaN sorts last.

    Parameters
    ----------
    x : array_like, shape (n, k)
    width : int
        Window length in rows (at least 1).

    Returns
    -------
    array of float64, shape (n, k)

    Examples
    --------
    >>> moving_median(np.array([[4.0], [1.0], [3.0], [2.0]]), 2)[:, 0].tolist()
    [4.0, 4.0, 3.0, 3.0]
    """
    arr = _checked(x, width)
    if arr.shape[0] == 0 or width == 1:
        return arr.copy()
    p = _padded(arr, width)
    n, k = arr.shape
    out = np.empty_like(arr)
    rows = max(1, MEDIAN_CHUNK_VALUES // width)
    kth = width // 2
    for col in range(k):
        windows = np.lib.stride_tricks.sliding_window_view(p[:, col], width)
        for start in range(0, n, rows):
            part = np.partition(windows[start: start + rows], kth, axis=1)
            out[start: start + rows, col] = part[:, kth]
    return out
