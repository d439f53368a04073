"""Summarises py-spy's collapsed stacks (bench/run.py --profile DIR): where the samples went.

    .venv/bin/python bench/hotspots.py DIR/pipeline-worker.txt [--top 25]

Prints the share of samples per function, inclusive (anywhere on the stack) and exclusive (on top).
"""

import argparse
import collections
import re


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    inclusive, exclusive, total = collections.Counter(), collections.Counter(), 0
    for line in open(args.file):
        stack, _, count = line.rstrip().rpartition(" ")
        if not count.isdigit():
            continue
        frames = [re.sub(r" \(.*?/(site-packages/)?", " (", frame) for frame in stack.split(";")]
        samples = int(count)
        total += samples
        for frame in set(frames):
            inclusive[frame] += samples
        exclusive[frames[-1]] += samples
    print(f"{total} samples")
    for title, counter in (("inclusive", inclusive), ("exclusive", exclusive)):
        print(f"\n--- {title} ---")
        for frame, samples in counter.most_common(args.top):
            print(f"{100 * samples / total:5.1f}%  {frame[:150]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
