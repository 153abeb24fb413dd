#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Mpaio from Python: the PyGObject bindings on the seed's workloads.

The same SharedMemory segment as the seed peer, created and filled before
timing, is attached by name (Mpaio.SharedMemory.new_from_name); the timed
part creates an Mpaio.ProcessPool of N workers (which re-run this script),
and runs one orchestrator whose Python worker applies the numpy kernel to
chunk.as_array(), a zero-copy view. Chunk i covers [i * n // C,
(i + 1) * n // C), as in the other peers.

Mpaio is looked up as usual (installed, or `meson devenv -C build`); failing
that, in the build directory $MPAIO_BUILD_DIR, by default build/ at the top
of the source tree.
"""

import os
import time
from pathlib import Path

import peer_common as pc

ROOT = Path(__file__).resolve().parent.parent.parent


def import_mpaio():
    import gi

    try:
        gi.require_version("Mpaio", "1")
    except ValueError:
        build = Path(os.environ.get("MPAIO_BUILD_DIR", ROOT / "build")).resolve()
        gi.require_version("GIRepository", "2.0")
        from gi.repository import GIRepository
        import gi.overrides
        GIRepository.Repository.prepend_search_path(str(build / "mpaio"))
        GIRepository.Repository.prepend_library_path(str(build / "mpaio"))
        gi.overrides.__path__.insert(0, str(ROOT / "bindings" / "python" / "gi" / "overrides"))
        gi.require_version("Mpaio", "1")

    from gi.repository import GLib, GObject, Mpaio
    return GLib, GObject, Mpaio


GLib, GObject, Mpaio = import_mpaio()


class Kernel(GObject.Object, Mpaio.Worker):
    """Runs a peer_common kernel on each chunk; collects the results."""

    __gtype_name__ = "MpaioPeerKernel"

    kernel = GObject.Property(type=str, default="sum")

    def __init__(self, **properties):
        super().__init__(**properties)
        self.results = []

    def do_process(self, chunk):
        return GLib.Variant("t", pc.KERNELS[self.kernel](chunk.as_array()))

    def do_process_callback(self, chunk_index, result):
        self.results.append(result.get_uint64())


def run(workload, workers, memory):
    n, n_chunks = workload.n_elements, workload.n_chunks
    assert n % n_chunks == 0, "every chunk has n // C elements"
    iterator = Mpaio.DataIterator.new_for_dtype(memory, workload.dtype, n, n // n_chunks)
    worker = Kernel(kernel=workload.kernel)

    t0 = time.perf_counter()
    with Mpaio.ProcessPool.new(workers) as pool:
        orchestrator = Mpaio.Orchestrator.new(pool)
        orchestrator.add(worker, iterator)
        orchestrator.run()
        result = pc.combine(workload, worker.results)
        seconds = time.perf_counter() - t0
    return result, seconds


def main():
    Mpaio.serve_if_worker()     # the workers are this script again

    workload, workers = pc.parse_args(__doc__.splitlines()[0])
    shm = pc.create_filled_shm(workload)
    try:
        memory = Mpaio.SharedMemory.new_from_name(shm.name)
        result, seconds = run(workload, workers, memory)
    finally:
        pc.release_shm(shm)
    pc.report(workload, workers, result, seconds)


if __name__ == "__main__":
    main()
