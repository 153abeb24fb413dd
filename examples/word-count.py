#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Counting words in variable-length UTF-8 records: a custom data iterator,
in Python. The same program as word-count.c, and the same corpus: both
print the same number of words.

The records are packed into one sealed memory:

    [0, 8 (n + 1))      offsets: n + 1 native-endian uint64; record i is the
                        bytes [offsets[i], offsets[i + 1]) of the memory
    [8 (n + 1), size)   the text: the records back to back, no separators

The iterator's elements are the n first offsets (8 bytes each, at byte 0),
so a chunk [start, end) is a run of whole records. WordCountIterator cuts at
the record boundaries nearest to equal shares of the text, so that chunks
hold similar numbers of bytes rather than of records. A worker reads its
offsets, plus offsets[end] where its last record ends, and the text,
through the whole memory (chunk.get_memory()).

Only the introspected API is used (no overrides needed). From a build tree:

    GI_TYPELIB_PATH=build/mpaio LD_LIBRARY_PATH=build/mpaio \\
        /usr/bin/python3 examples/word-count.py [--records N] [--workers N]
"""

import argparse
import bisect
import sys
import time
from array import array

import gi

gi.require_version('Mpaio', '1')

from gi.repository import GLib, GObject, Mpaio  # noqa: E402

SEED = 0x9E3779B97F4A7C15
MASK = (1 << 64) - 1
OFFSET_SIZE = 8

VOCABULARY = [
    "the", "a", "of", "and", "to", "in", "chunk", "worker", "memory", "array",
    "process", "pool", "shared", "record", "offset", "main", "loop", "GNOME",
    "café", "naïve", "façade", "Grüße", "Straße", "mémoire", "données",
    "παράλληλα", "μνήμη", "быстро", "память", "並列", "処理", "メモリ",
    "🙂", "🚀", "x", "I",
]


def count_words(text):
    """Words are runs of bytes other than ASCII white space: bytes.split()
    splits exactly there, and UTF-8 never puts an ASCII byte inside a
    multi-byte character."""
    return len(text.split())


def read_offsets(memory, first, count):
    """Offsets [first, first + count) of the table at the start of memory."""
    data = memory.dup_bytes(first * OFFSET_SIZE, count * OFFSET_SIZE).get_data()
    return array('Q', data)


class WordCountIterator(Mpaio.DataIterator):
    """Cuts the records into chunks of about target_bytes bytes of text,
    only at record boundaries."""

    __gtype_name__ = 'ExamplePyRecordIterator'

    target_bytes = GObject.Property(type=GObject.TYPE_UINT64, default=256 * 1024,
                                    minimum=1, flags=GObject.ParamFlags.READWRITE
                                    | GObject.ParamFlags.CONSTRUCT_ONLY)

    def __init__(self, memory, n_records, target_bytes):
        super().__init__(memory=memory, element_size=OFFSET_SIZE,
                         n_elements=n_records, target_bytes=target_bytes)
        self.boundaries = self._cut(read_offsets(memory, 0, n_records + 1))

    def _cut(self, offsets):
        # The k-th cut goes to the record boundary nearest to k shares of
        # the text, as in word-count.c.
        n = len(offsets) - 1
        text_bytes = offsets[n] - offsets[0]
        n_chunks = max((text_bytes + self.target_bytes // 2) // self.target_bytes, 1)
        boundaries = [0]
        for k in range(1, n_chunks):
            position = offsets[0] + text_bytes * k // n_chunks
            cut = bisect.bisect_left(offsets, position, boundaries[-1], n)
            if cut > boundaries[-1] + 1 and position - offsets[cut - 1] < offsets[cut] - position:
                cut -= 1
            if boundaries[-1] < cut < n:
                boundaries.append(cut)
        if n > boundaries[-1]:
            boundaries.append(n)
        return boundaries

    def do_get_n_chunks(self):
        return len(self.boundaries) - 1

    def do_get_chunk_range(self, chunk_index):
        return self.boundaries[chunk_index], self.boundaries[chunk_index + 1]


class WordCount(GObject.Object, Mpaio.Worker):
    """Counts the words of its chunk of records."""

    __gtype_name__ = 'ExamplePyWordCount'

    def __init__(self):
        super().__init__()
        self.total = 0                  # only in this process

    def do_process(self, chunk):
        # In a worker process: the offsets of the chunk's records and the
        # one after them, then the text they point to.
        memory = chunk.get_memory()
        start, end = chunk.get_start(), chunk.get_end()
        offsets = read_offsets(memory, chunk.get_offset() // OFFSET_SIZE + start, end - start + 1)
        base = offsets[0]
        text = memory.dup_bytes(base, offsets[-1] - base).get_data()
        words = sum(count_words(text[offsets[i] - base:offsets[i + 1] - base])
                    for i in range(end - start))
        return GLib.Variant('t', words)

    def do_process_callback(self, chunk_index, result):
        self.total += result.unpack()

    def do_dup_result_type(self):
        return GLib.VariantType.new('t')


def next_random(state):
    """xorshift64*, as in word-count.c: returns (new state, value)."""
    x = state
    x ^= x >> 12
    x ^= (x << 25) & MASK
    x ^= x >> 27
    return x, (x * 0x2545F4914F6CDD1D) & MASK


def make_records(n_records):
    """The corpus of word-count.c: sentences of 1 to 24 words, and one
    record in 500 a paragraph of 100 to 2,000."""
    state = SEED
    records = []
    for _ in range(n_records):
        state, value = next_random(state)
        if value % 500 == 0:
            state, value = next_random(state)
            n_words = 100 + value % 1901
        else:
            state, value = next_random(state)
            n_words = 1 + value % 24
        words = []
        for _ in range(n_words):
            state, value = next_random(state)
            words.append(VOCABULARY[value % len(VOCABULARY)])
        records.append((' '.join(words) + '.').encode())

    header = (n_records + 1) * OFFSET_SIZE
    offsets = array('Q', [header])
    for record in records:
        offsets.append(offsets[-1] + len(record))
    data = offsets.tobytes() + b''.join(records)
    return Mpaio.SharedMemory.new_from_bytes(GLib.Bytes.new(data)), records


def run(orchestrator):
    """Runs the thread-default main context until the run is over."""
    loop = GLib.MainLoop()
    outcome = []

    def on_done(source, result, *user_data):
        try:
            outcome.append(source.run_finish(result))
        except GLib.Error as error:
            outcome.append(error)
        loop.quit()

    orchestrator.run_async(None, on_done)
    loop.run()
    if isinstance(outcome[0], GLib.Error):
        raise outcome[0]


def main():
    parser = argparse.ArgumentParser(
        description='Count the words of variable-length records in parallel.')
    parser.add_argument('--records', type=int, default=300_000, metavar='N',
                        help='number of records (default: 300,000)')
    parser.add_argument('--target-bytes', type=int, default=256 * 1024, metavar='BYTES',
                        help='bytes of text per chunk to aim at (default: 262,144)')
    parser.add_argument('--workers', type=int, default=0, metavar='N',
                        help='number of worker processes (default: one per processor)')
    args = parser.parse_args()
    if args.records < 1 or args.target_bytes < 1:
        parser.error('--records and --target-bytes must be at least 1')

    memory, records = make_records(args.records)
    iterator = WordCountIterator(memory, args.records, args.target_bytes)
    iterator.validate()

    sizes = [sum(len(r) for r in records[a:b])
             for a, b in zip(iterator.boundaries, iterator.boundaries[1:])]
    counts = [b - a for a, b in zip(iterator.boundaries, iterator.boundaries[1:])]
    print(f'{args.records} records, {memory.get_size()} bytes')
    print(f'{len(sizes)} chunks of {min(sizes)} to {max(sizes)} bytes '
          f'({min(counts)} to {max(counts)} records)')

    begin = time.perf_counter()
    pool = Mpaio.ProcessPool.new(max(args.workers, 0))
    word_count = WordCount()
    orchestrator = Mpaio.Orchestrator.new(pool)
    orchestrator.add(word_count, iterator)
    try:
        run(orchestrator)
    except GLib.Error as error:
        print(f'The run failed: {error.message}', file=sys.stderr)
        return 1

    print(f'{word_count.total} words')
    print(f'elapsed: {time.perf_counter() - begin:.3f} s with {pool.get_max_workers()} workers')

    serial = sum(count_words(record) for record in records)
    if serial != word_count.total:
        print(f'Mismatch: counted {serial} words serially', file=sys.stderr)
        return 1
    print('serial count agrees')
    return 0


if __name__ == '__main__':
    # In a worker process started by the pool, serve chunks and exit; here,
    # go on. Nothing above this line does any work.
    if Mpaio.is_worker_process():
        try:
            Mpaio.serve()
        except GLib.Error as error:
            print(f'worker: {error.message}', file=sys.stderr)
            sys.exit(1)
        sys.exit(0)
    sys.exit(main())
