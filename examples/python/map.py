#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""pool.map(): a function on each chunk of a numpy array, in worker processes.

Sums 1..10,000,000 in ten chunks with numpy.sum, applies a function of this
script, shows how a worker's exception arrives, maps again from asyncio, and
over an Mpaio.SharedMemory.
The workers are this script again (Mpaio.serve_if_worker() below).

    python3 examples/python/map.py
"""

import asyncio

import gi

gi.require_version('Mpaio', '1')

from gi.repository import Mpaio  # noqa: E402

import numpy  # noqa: E402


def mean_and_max(chunk):
    """A module-level function: worker processes find it by its name."""
    return float(chunk.mean()), int(chunk.max())


def check_positive(chunk):
    if (chunk <= 0).any():
        raise ValueError(f'{int((chunk <= 0).sum())} values are not positive')
    return True


async def sums_from_asyncio(pool, array):
    return await pool.map_async(numpy.sum, array, 10**6)


def main():
    array = numpy.arange(1, 10**7 + 1)

    with Mpaio.ProcessPool.new(2) as pool:
        sums = pool.map(numpy.sum, array, chunk_size=10**6)
        print(sums)                                 # ten sums, in chunk order
        print(pool.map(mean_and_max, array))        # one chunk per worker

        try:
            pool.map(check_positive, array - 5)
        except ValueError as error:                 # the worker's exception
            print(f'ValueError: {error}')
            print(type(error.__cause__).__name__)   # its traceback, as text

        print(asyncio.run(sums_from_asyncio(pool, array)) == sums)

        # Memory made once, mapped several times; closed when done with.
        with Mpaio.SharedMemory.new_from_array(array) as memory:
            print(pool.map(numpy.max, memory, 5 * 10**6, dtype=array.dtype))


if __name__ == '__main__':
    Mpaio.serve_if_worker()
    main()
