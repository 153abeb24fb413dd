# SPDX-License-Identifier: LGPL-2.1-or-later
"""The MPI peers of bench/compare --mpi, and their targets (issue 12).

  mpaio-mpi           mpaio-bench --executor mpi-sent, started as a plain
                      program: MPI starts in it and spawns the workers, and
                      every chunk's bytes travel, as to another node
  mpaio-mpi-local     mpaio-bench --executor mpi: spawned, the workers map
                      the caller's memory on the node, only ranges travel
  mpaio-mpi-launched  mpirun -np N+1 mpaio-bench --executor mpi-sent
  mpi                 mpirun -np N+1 peers/mpi-peer: a plain MPI program
                      doing the same sends and sums with blocking calls
  mpi4py              peers/mpi4py_peer.py: mpi4py.futures.MPIPoolExecutor,
                      spawned, one task per chunk whose argument is the
                      chunk (a pickled numpy slice)

Open MPI refuses to run as root and to put more ranks than cores on a node
unless told (docs/cluster.md, "Environment variables"): bench/compare
leaves that to the caller, as the library does.
"""

import shutil

# Column names (a peer's first run, and its later runs, "-warm").
MPI_PEERS = ["mpaio-mpi", "mpaio-mpi-local", "mpaio-mpi-launched", "mpi",
             "mpi4py"]
# The ratio columns of the tables in --mpi mode.
MPI_REFERENCES = ["mpaio", "mpi4py", "mpi"]


def mpirun():
    """The path of mpirun, or None."""
    return shutil.which("mpirun")


def candidates(build_dir, peers_dir):
    """(name, argv, launched by mpirun, takes --elements/--chunks) of each
    MPI peer; each takes --workload, --workers and --runs."""
    bench = str(build_dir / "bench" / "mpaio-bench")
    return [
        ("mpaio-mpi", [bench, "--executor", "mpi-sent"], False, True),
        ("mpaio-mpi-local", [bench, "--executor", "mpi"], False, True),
        ("mpaio-mpi-launched", [bench, "--executor", "mpi-sent"], True, True),
        ("mpi", [str(build_dir / "bench" / "peers" / "mpi-peer")], True, False),
        ("mpi4py", [str(peers_dir / "mpi4py_peer.py")], False, True),
    ]


def launch(argv, workers):
    """argv under mpirun: rank 0 runs the caller, ranks 1..N serve."""
    return [mpirun() or "mpirun", "-np", str(workers + 1)] + argv


# (workload, what, column, reference column, target): issue 12's targets
# with 2 workers. small against mpi4py.futures, both spawned from a plain
# program and sending every chunk; sum and mix against the plain MPI
# program, which runs under mpirun, launched and spawned.
TARGETS = [
    ("small", "spawned, first run", "mpaio-mpi", "mpi4py", 0.1),
    ("small", "spawned, later runs", "mpaio-mpi-warm", "mpi4py-warm", 0.1),
    ("sum", "launched, later runs", "mpaio-mpi-launched-warm", "mpi-warm", 1.3),
    ("sum", "spawned, later runs", "mpaio-mpi-warm", "mpi-warm", 1.3),
    ("mix", "launched, later runs", "mpaio-mpi-launched-warm", "mpi-warm", 1.3),
    ("mix", "spawned, later runs", "mpaio-mpi-warm", "mpi-warm", 1.3),
]
