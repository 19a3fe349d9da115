#!/usr/bin/env python3
"""Story openings for greedy self-distillation data (docs/TRAINING.md).

Takes the first 2-12 words (uniform, seed 11) of every story in an `export-text` file (one story per
<|endoftext|>-separated block), drops duplicates and any opening that is a held-out prompt or a prefix of one, and writes one per line.
Usage: greedy_prompts.py STORIES.txt HELD_OUT_PROMPTS.txt OUT.txt
"""
import random
import sys

stories_path, held_out_path, out_path = sys.argv[1:4]
rng = random.Random(11)
held = [l.strip() for l in open(held_out_path, encoding="utf-8") if l.strip()]
text = open(stories_path, encoding="utf-8").read()
stories = [s.strip() for s in text.split("<|endoftext|>") if s.strip()]
seen, out = set(), []
for s in stories:
    words = s.split()
    if len(words) < 2:
        continue
    opening = " ".join(words[: rng.randint(2, min(12, len(words)))])
    if opening in seen or any(h.startswith(opening) for h in held):
        continue
    seen.add(opening)
    out.append(opening)
open(out_path, "w", encoding="utf-8").write("\n".join(out) + "\n")
print(f"{len(stories)} stories -> {len(out)} openings", file=sys.stderr)
