#!/usr/bin/env python3
"""Seeded, bounded mutational fuzzer of sieve-compile and sieve-opt.

The seed corpus is the MLIR that the repository already has: examples/*.mlir,
test/models/, test/Execution/Inputs/, test/Tools/sieve-compile/Inputs/ and
test/Dialect/*/ops.mlir. At start-up each seed is also compiled once with
--save-stages, and the intermediate stages (locations stripped) join the
corpus, so that the passes late in the pipeline see the IR they are made for.

Case k (k = 0, 1, 2, ...) takes a seed, applies one to three text mutations
(shape dimensions, element types, integer and float values, op names, deleted
and duplicated lines, duplicated attribute dictionaries, truncation, nested
modules, inserted cf.assert, swapped SSA values, lines spliced from another
seed) and runs both tools on the result: sieve-compile for the target k of the
six, round-robin, with random options (--emit, --memory-budget, --placement,
..., now and then an output that cannot be written), and sieve-opt with the sieve-* pass or pipeline k of those that
`sieve-opt --help` lists, round-robin, sometimes with random pass options.
Everything about case k derives from random.Random of (seed, k), so a case is
the same input and the same commands on every run; the time budget only
decides how many cases run.

A run FAILS when the tool is killed by a signal, prints a sanitizer report,
`LLVM ERROR`, an assertion failure, a crash report (`PLEASE submit a bug
report`, `Stack dump`) or an `internal compiler error` (a crash the tool
caught), hangs (uses the per-run timeout of CPU time, 30 s by
default, or three times that of wall time), or exits non-zero without an
`error:` line on stderr. Exit 0, or non-zero with a diagnostic, is fine. A hung
tool gets SIGQUIT before SIGKILL, so that LLVM's handler prints where it hung.

Before mutating, every file in the regressions directory (by default
test/Fuzz/regressions/) runs with sieve-compile on every target; a file whose
lines include `// FUZZ-RUN: <tool> <options>` runs those commands instead.

    fuzz.py --seed 1 --time-budget 100 --bin build/bin --save /tmp/failures

prints one line per failing run, a summary, and last `fuzz: N cases, M
failures` (M counts failing runs); exits 1 if any run failed.
SIEVE_FUZZ_SECONDS, when set, replaces the time budget (so that a sanitizer CI
run can give the lit test its own). With --save DIR, a failing run leaves the
case's input, CASE.mlir, and RUN-KIND.cmd, a shell script that reruns it
(`sh RUN-KIND.cmd`) with the mutations and the output in comments;
`--seed S --case K` reruns case K. Standard library only.
"""

import argparse
import collections
import concurrent.futures
import ctypes
import glob
import mmap
import os
import random
import re
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

TARGETS = ["x86-64-avx2", "x86-64-avx512", "aarch64", "cortex-m4", "cortex-m7", "cortex-m55"]
PLACEMENTS = ["best", "greedy-by-size", "greedy-by-breadth", "by-lifetime",
              "greedy-by-size/best-fit"]
EMIT_SUFFIX = {"obj": ".o", "asm": ".s", "llvm": ".ll", "mlir": ".mlir"}
# A file that cannot be written: an output there must get a diagnostic.
FULL_DEVICE = "/dev/full" if os.path.exists("/dev/full") else "{out}/missing-dir/full"

# Seed corpus, relative to the source root.
SEED_GLOBS = ["examples/*.mlir", "test/models/*.mlir", "test/Execution/Inputs/*.mlir",
              "test/Tools/sieve-compile/Inputs/*.mlir", "test/Dialect/*/ops.mlir"]
DEFAULT_REGRESSIONS = os.path.join(ROOT, "test", "Fuzz", "regressions")

# The stage of `sieve-compile --save-stages` whose output a pass or pipeline
# normally reads, by name (the files are NN-<name>.mlir; names, not numbers,
# so that a new stage does not shift the map): 40% of the cases of a pass take
# their seed from that stage.
STAGE_INPUT = {
    "sieve-verify-input": "input",
    "sieve-record-interface": "input",
    "sieve-import-pipeline": "input",
    "sieve-compile-pipeline": "input",
    "sieve-lower-tosa-pipeline": "import",
    "sieve-raise-attention-pipeline": "lower-tosa",
    "sieve-raise-attention": "lower-tosa",
    "sieve-attention-pipeline": "raise-attention",
    "sieve-attn-logsparse": "raise-attention",
    "sieve-lower-attention": "raise-attention",
    "sieve-ternary-pipeline": "attention",
    "sieve-raise-ternary": "attention",
    "sieve-select-ternary-kernel": "attention",
    "sieve-lower-ternary": "attention",
    "sieve-plan-patches-pipeline": "ternary",
    "sieve-plan-patches": "ternary",
    "sieve-lower-patch-stages": "ternary",
    "sieve-fuse-pipeline": "plan-patches",
    "sieve-fuse-into-rows": "plan-patches",
    "sieve-clone-shared-inits": "plan-patches",
    "sieve-copy-repeated-results": "fuse",
    "sieve-bufferize-pipeline": "fuse",
    "sieve-elide-copies": "bufferize",
    "sieve-plan-memory": "bufferize",
    "sieve-plan-memory-pipeline": "bufferize",
    "sieve-export-entry": "bufferize",
    "sieve-outline-parallel": "bufferize",
    "sieve-expand-strided-copies": "plan-memory",
    "sieve-approximate-math": "plan-memory",
    "sieve-lower-parallel-launches": "plan-memory",
    "sieve-lower-to-llvm-pipeline": "plan-memory",
}

# Values that mutations put in.
DIM_VALUES = [0, 1, 2, 3, 7, 16, 255, 65536, 2147483648, 4294967296, 9223372036854775807]
INT_VALUES = [0, 1, -1, 2, 3, 7, 8, 127, -128, 255, 256, 65535, 65536, 2147483647,
              -2147483648, 4294967295, 4294967296, 9223372036854775807,
              -9223372036854775808, 18446744073709551616]
FLOAT_VALUES = ["0.0", "-0.0", "-1.0", "1.0e+38", "3.5e+38", "1.0e-45", "1.0e+300",
                "0x7FC00000", "0x7F800000", "0xFF800000"]
ELEMENT_TYPES = ["i1", "i4", "i8", "i16", "i32", "i64", "ui8", "index", "f16", "bf16",
                 "f32", "f64", "complex<f32>"]
NEST_DEPTHS = [1, 1, 2, 3, 5, 16, 100, 1000, 10000]

# Failure detectors, in the order a failure is classified.
SANITIZER_RE = re.compile(r"ERROR: (Address|Memory|Thread|HWAddress)Sanitizer|LeakSanitizer|"
                          r"^\S+:\d+:\d+: runtime error: ", re.M)
ASSERTION_RE = re.compile(r"Assertion .* failed|^Assertion failed", re.M)
LLVM_ERROR_RE = re.compile(r"^LLVM ERROR: (.*)$", re.M)
CRASH_RE = re.compile(r"PLEASE submit a bug report|^Stack dump:", re.M)
ERROR_LINE_RE = re.compile(r"error:|: for the -+[\w-]+ option: ")
# What the tools print for a crash they caught or an LLVM fatal error that is
# not the user's: a bug, however politely reported.
INTERNAL_ERROR_RE = re.compile(r"internal compiler error: (.*)")
# A crash inside one of MLIR 22's op parsers (its pretty stack trace ends in
# one): an upstream bug that sieve-compile reports as an error and sieve-opt,
# like mlir-opt, does not catch. Listed, not counted as a failure.
PRETTY_STACK_RE = re.compile(r"^\d+\.\t(.*?)\s*$", re.M)
UPSTREAM_PARSER_RE = re.compile(r"MLIR Parser: custom op parser '([^']+)'")
TOLERATED_KINDS = {"upstream-parser-crash"}
UPSTREAM_MLIR_OPT = "/usr/lib/llvm-22/bin/mlir-opt"
# Stack frames of LLVM's crash handler and of libc, skipped when naming the
# frame a crash happened in.
HANDLER_FRAME_RE = re.compile(r"PrintStackTrace|SignalHandler|RunSignalHandlers|"
                              r"__restore_rt|libc\.so|\braise\b|\babort\b|__assert|"
                              r"pthread_kill|gsignal|__cxa_throw|std::terminate|"
                              r"__mem\w+|__str\w+|"
                              r"__gnu_cxx::__verbose_terminate|"
                              r"report_fatal_error|report_bad_alloc|"
                              r"CrashRecoveryContext|\?\?")


# ---------------------------------------------------------------------------
# Corpus


class Seed:
    """One input of the corpus: its name, its text, and the stage it is (if any)."""

    def __init__(self, name, text, stage=None):
        self.name = name
        self.text = text
        self.stage = stage


def seed_paths():
    paths = []
    for pattern in SEED_GLOBS:
        paths.extend(glob.glob(os.path.join(ROOT, pattern)))
    return sorted(set(paths))


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def strip_locations(text):
    """Drops `#locN = loc(...)` lines and ` loc(...)` suffixes (nested parens and strings)."""
    lines = [line for line in text.split("\n") if not re.match(r"#loc\d* = loc\(", line)]
    text = "\n".join(lines)
    out = []
    i = 0
    while True:
        j = text.find(" loc(", i)
        if j < 0:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:j])
        k = j + len(" loc(")
        depth = 1
        in_string = False
        while k < len(text) and depth:
            c = text[k]
            if in_string:
                if c == "\\":
                    k += 1
                elif c == '"':
                    in_string = False
            elif c == '"':
                in_string = True
            elif c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
            k += 1
        i = k


# ---------------------------------------------------------------------------
# Mutations: each takes (text, rng, corpus) and returns (text, description),
# or None when it does not apply to the text.

SHAPE_RE = re.compile(r"\b(tensor|memref|vector)<((?:(?:\d+|\?)x)+)")
ELEMENT_RE = re.compile(r"\b(?:tensor|memref|vector)<(?:(?:\d+|\?)x)*"
                        r"(complex<f32>|index|bf16|ui8|i\d+|f\d+)(?=[>,])")
SCALAR_TYPE_RE = re.compile(r"(?<=: )(index|bf16|ui8|i\d+|f\d+)\b")
INT_RE = re.compile(r"(?<![\w.%#@\"^:-])-?\d+(?![\w.])")
FLOAT_RE = re.compile(r"(?<![\w.])-?\d+\.\d*(?:[eE][-+]?\d+)?")
ARRAY_RE = re.compile(r"array<i\d+:[^>]*>")
OP_RE = re.compile(r"(?<![\w.#!$])((?:tosa|linalg|arith|tensor|math|scf|func|attn|patch|tern|"
                   r"memref|cf|bufferization|affine|llvm|vector)\.[a-z_][\w.]*)")
SSA_RE = re.compile(r"%[\w$.-]+")
ATTR_DICT_RE = re.compile(r"\{(?=\s*[A-Za-z_][\w.$-]*\s*(?:=|,|\}))")


def pick(rng, matches):
    return matches[rng.randrange(len(matches))] if matches else None


def replace_span(text, start, end, new):
    return text[:start] + new + text[end:]


def type_end(text, start):
    """Index after the `>` that closes the shaped type starting at `start`."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "<":
            depth += 1
        elif text[i] == ">" and text[i - 1] != "-":  # not the `->` of an affine map
            depth -= 1
            if depth == 0:
                return i + 1
    return len(text)


def retype(text, rng, m, new_type):
    """Replaces the shaped type at match `m` by `new_type`: usually every
    occurrence of the same type, so that the values of that type stay
    consistent, sometimes only this one."""
    old_type = text[m.start():type_end(text, m.start())]
    if rng.random() < 0.8:
        return text.replace(old_type, new_type), "every " + old_type
    return replace_span(text, m.start(), m.start() + len(old_type), new_type), "one " + old_type


def mutate_shape(text, rng, corpus):
    shapes = list(SHAPE_RE.finditer(text))
    if not shapes:
        return None
    how = rng.choices(["set", "swap", "global", "rank"], [3, 1, 3, 1])[0]
    m = pick(rng, shapes)
    dims = m.group(2)[:-1].split("x")
    if how == "global":
        # Every dimension equal to `old`, in every shaped type.
        old = rng.choice(dims)
        value = rng.choice([str(v) for v in DIM_VALUES if str(v) != old])

        def repl(mm):
            parts = [value if d == old else d for d in mm.group(2)[:-1].split("x")]
            return mm.group(1) + "<" + "x".join(parts) + "x"
        return SHAPE_RE.sub(repl, text), "every dim %s -> %s" % (old, value)
    if how == "swap" and len(dims) >= 2:
        i, j = rng.sample(range(len(dims)), 2)
        dims[i], dims[j] = dims[j], dims[i]
        what = "swap dims %d and %d" % (i, j)
    elif how == "rank":
        i = rng.randrange(len(dims) + 1)
        if dims and rng.random() < 0.5:
            del dims[min(i, len(dims) - 1)]
            what = "drop a dim"
        else:
            dims.insert(i, str(rng.choice(DIM_VALUES[:5])))
            what = "add a dim"
    else:
        i = rng.randrange(len(dims))
        old = dims[i]
        dims[i] = rng.choice([str(v) for v in DIM_VALUES if str(v) != old])
        what = "dim %d: %s -> %s" % (i, old, dims[i])
    head = m.group(1) + "<" + "".join(d + "x" for d in dims)
    rest = text[m.end():type_end(text, m.start())]
    text, where = retype(text, rng, m, head + rest)
    return text, "%s in %s" % (what, where)


def mutate_element_type(text, rng, corpus):
    shaped = list(ELEMENT_RE.finditer(text))
    scalars = list(SCALAR_TYPE_RE.finditer(text))
    how = rng.choices(["local", "global", "scalar"], [2, 3, 1])[0]
    if how == "scalar" and scalars:
        m = pick(rng, scalars)
        new = rng.choice([t for t in ELEMENT_TYPES if t != m.group(1)])
        return replace_span(text, m.start(1), m.end(1), new), "type %s -> %s at line %d" % (
            m.group(1), new, text.count("\n", 0, m.start()) + 1)
    if not shaped:
        return None
    m = pick(rng, shaped)
    old = m.group(1)
    new = rng.choice([t for t in ELEMENT_TYPES if t != old])
    if how == "local":
        end = type_end(text, m.start())
        new_type = text[m.start():m.start(1)] + new + text[m.end(1):end]
        text, where = retype(text, rng, m, new_type)
        return text, "element type %s -> %s in %s" % (old, new, where)
    out = []
    last = 0
    for mm in shaped:
        if mm.group(1) == old:
            out.append(text[last:mm.start(1)])
            out.append(new)
            last = mm.end(1)
    out.append(text[last:])
    return "".join(out), "every element type %s -> %s" % (old, new)


def new_int(rng, old):
    """Another integer: one off, or one of INT_VALUES."""
    if rng.random() < 0.2:
        return str(int(old) + rng.choice([-1, 1]))
    return rng.choice([str(v) for v in INT_VALUES if str(v) != old])


def mutate_int(text, rng, corpus):
    ints = list(INT_RE.finditer(text))
    in_arrays = [m for a in ARRAY_RE.finditer(text) for m in ints
                 if a.start() <= m.start() < a.end()]
    if in_arrays and rng.random() < 0.5:
        m = pick(rng, in_arrays)
        where = "an array<> entry"
    else:
        m = pick(rng, ints)
        where = "an integer"
    if m is None:
        return None
    new = new_int(rng, m.group(0))
    return replace_span(text, m.start(), m.end(), new), "%s %s -> %s at line %d" % (
        where, m.group(0), new, text.count("\n", 0, m.start()) + 1)


def mutate_float(text, rng, corpus):
    m = pick(rng, list(FLOAT_RE.finditer(text)))
    if m is None:
        return None
    new = rng.choice(FLOAT_VALUES)
    return replace_span(text, m.start(), m.end(), new), "float %s -> %s at line %d" % (
        m.group(0), new, text.count("\n", 0, m.start()) + 1)


def mutate_op_name(text, rng, corpus):
    m = pick(rng, list(OP_RE.finditer(text)))
    if m is None:
        return None
    old = m.group(1)
    dialect = old.split(".")[0]
    same = [op for op in corpus.ops if op.startswith(dialect + ".") and op != old]
    others = [op for op in corpus.ops if op != old]
    new = rng.choice(same if same and rng.random() < 0.6 else others)
    return replace_span(text, m.start(1), m.end(1), new), "op %s -> %s at line %d" % (
        old, new, text.count("\n", 0, m.start()) + 1)


def code_lines(lines):
    """Lines with code, except those that open or close a module or function."""
    return [i for i, line in enumerate(lines)
            if line.strip() and not line.lstrip().startswith("//")
            and not re.match(r"\s*(\}|module\b.*\{|func\.func\b.*\{)\s*$", line)]


def mutate_delete_line(text, rng, corpus):
    lines = text.split("\n")
    i = pick(rng, code_lines(lines))
    if i is None:
        return None
    del lines[i]
    return "\n".join(lines), "delete line %d" % (i + 1)


def mutate_duplicate_line(text, rng, corpus):
    lines = text.split("\n")
    i = pick(rng, code_lines(lines))
    if i is None:
        return None
    # The copy defines its own values, so that the IR stays valid more often.
    lines.insert(i + 1, re.sub(r"^(\s*)(%[\w$.-]+)((?::\d+)?\s*=)", r"\1\2_dup\3", lines[i]))
    return "\n".join(lines), "duplicate line %d" % (i + 1)


def balanced_end(text, start):
    """Index after the brace that closes the one at `start` (strings skipped)."""
    depth = 0
    in_string = False
    i = start
    while i < len(text):
        c = text[i]
        if in_string:
            if c == "\\":
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def mutate_duplicate_attributes(text, rng, corpus):
    m = pick(rng, list(ATTR_DICT_RE.finditer(text)))
    if m is None:
        return None
    end = balanced_end(text, m.start())
    if end is None:
        return None
    copy = text[m.start():end]
    at = end + 1 if text[m.start() - 1:m.start()] == "<" and text[end:end + 1] == ">" else end
    line = text.count("\n", 0, m.start()) + 1
    return replace_span(text, at, at, " " + copy), "duplicate the attributes at line %d" % line


def mutate_truncate(text, rng, corpus):
    if len(text) < 2:
        return None
    at = rng.randrange(1, len(text))
    if rng.random() < 0.5:
        at = text.rfind("\n", 0, at) + 1
    return text[:at], "truncate at byte %d of %d" % (at, len(text))


def mutate_nest_modules(text, rng, corpus):
    depth = rng.choice(NEST_DEPTHS)
    lines = text.split("\n")
    # Aliases (#map = ..., !type = ...) must stay at the top level.
    at = 0
    for i, line in enumerate(lines):
        if re.match(r"\s*[#!][\w.$-]+\s*=", line):
            at = i + 1
    head = "\n".join(lines[:at])
    body = "\n".join(lines[at:])
    nested = "module {\n" * depth + body + "\n" + "}\n" * depth
    return (head + "\n" if head else "") + nested, "nest in %d module(s)" % depth


def mutate_insert_assert(text, rng, corpus):
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines)
              if "func.func" in line and line.rstrip().endswith("{")]
    if not starts:
        return None
    first = rng.choice(starts)
    candidates = [i for i in range(first + 1, len(lines)) if lines[i].strip()]
    if not candidates:
        return None
    i = rng.choice(candidates)
    value = rng.choice(["true", "true", "false"])
    lines[i:i] = ["    %%fuzz_cond%d = arith.constant %s" % (i, value),
                  "    cf.assert %%fuzz_cond%d, \"fuzz\"" % i]
    return "\n".join(lines), "insert cf.assert %s before line %d" % (value, i + 1)


def mutate_ssa(text, rng, corpus):
    values = list(SSA_RE.finditer(text))
    names = sorted(set(m.group(0) for m in values))
    # Uses only: a definition is followed by `=`, `:` or `,` ... `=`.
    uses = [m for m in values if not re.match(r"\s*(?:=|:|,\s*%[\w$.-]+\s*=)", text[m.end():])]
    if len(names) < 2:
        return None
    m = pick(rng, uses)
    if m is None:
        return None
    new = rng.choice([n for n in names if n != m.group(0)])
    return replace_span(text, m.start(), m.end(), new), "value %s -> %s at line %d" % (
        m.group(0), new, text.count("\n", 0, m.start()) + 1)


def mutate_splice(text, rng, corpus):
    donor = rng.choice(corpus.seeds)
    donor_lines = donor.text.split("\n")
    j = pick(rng, code_lines(donor_lines))
    if j is None:
        return None
    lines = text.split("\n")
    i = rng.randrange(len(lines) + 1)
    lines.insert(i, donor_lines[j])
    return "\n".join(lines), "splice line %d of %s before line %d" % (j + 1, donor.name, i + 1)


def mutate_function(text, rng, corpus):
    functions = re.finditer(r"func\.func (?:(private|public) )?(@[\w$.-]+|@\"[^\"]*\")", text)
    m = pick(rng, list(functions))
    if m is None:
        return None
    how = rng.choice(["rename", "private", "arg"])
    if how == "rename":
        new = rng.choice(['@"has space"', "@main", "@_", '@"1st"', "@run", "@" + "x" * 300])
        return replace_span(text, m.start(2), m.end(2), new), "rename %s to %s" % (m.group(2), new)
    if how == "private":
        return (replace_span(text, m.start(), m.start(2), "func.func private "),
                "make %s private" % m.group(2))
    # An extra, unused argument of a random type.
    paren = text.find("(", m.end())
    if paren < 0:
        return None
    arg = "%%fuzz_arg: tensor<%sx%s>" % (rng.choice(DIM_VALUES[:6]), rng.choice(ELEMENT_TYPES))
    close = text[paren + 1:paren + 2] == ")"
    new = arg if close else arg + ", "
    return (replace_span(text, paren + 1, paren + 1, new),
            "add argument %s to %s" % (arg, m.group(2)))


MUTATIONS = [  # (function, weight)
    (mutate_shape, 4), (mutate_element_type, 3), (mutate_int, 4), (mutate_float, 1),
    (mutate_op_name, 2), (mutate_delete_line, 1), (mutate_duplicate_line, 1),
    (mutate_duplicate_attributes, 1), (mutate_truncate, 0.3), (mutate_nest_modules, 0.3),
    (mutate_insert_assert, 0.5), (mutate_ssa, 0.7), (mutate_splice, 0.7), (mutate_function, 0.5),
]


def mutate(text, rng, corpus):
    """Applies one to three mutations; returns the text and their descriptions."""
    done = []
    functions = [f for f, _ in MUTATIONS]
    weights = [w for _, w in MUTATIONS]
    for _ in range(rng.randint(1, 3)):
        for _attempt in range(8):
            result = rng.choices(functions, weights)[0](text, rng, corpus)
            if result is not None:
                text, what = result
                done.append(what)
                break
    return text, done


# ---------------------------------------------------------------------------
# Cases


class Run:
    """One tool invocation of a case: argv with {input} and {out} placeholders."""

    def __init__(self, name, tool, argv):
        self.name = name
        self.tool = tool
        self.argv = argv


class Case:
    """One input, the mutations that made it, and the runs of the tools on it."""

    def __init__(self, name, text, origin, mutations, runs):
        self.name = name
        self.text = text
        self.origin = origin
        self.mutations = mutations
        self.runs = runs


class Corpus:
    """The seeds (models first, then stages), the passes, and the op names seen."""

    def __init__(self, seeds, passes):
        self.seeds = seeds
        self.compile_seeds = [s for s in seeds if s.stage in (None, "lower-tosa")]
        self.passes = passes
        ops = set()
        for seed in seeds:
            ops.update(m.group(1) for m in OP_RE.finditer(seed.text))
        self.ops = sorted(ops)
        self.by_stage = collections.defaultdict(list)
        for seed in seeds:
            self.by_stage[seed.stage or "input"].append(seed)


def option_value(rng, name, kind, seed):
    """A value for a pass option: mostly sensible, sometimes not."""
    functions = re.findall(r"func\.func (?:\w+ )?@([\w$.-]+)", seed.text) or ["f"]
    if name == "target":
        return rng.choice(TARGETS + ["cortex-m85"])
    if name in ("strategy", "placement"):
        return rng.choice(PLACEMENTS + ["bogus"])
    if name == "memory-budget":
        if kind == "string":
            return rng.choice(["none", "64KiB", "1", "0", "256KiB", "0.5MiB", "plenty"])
        return str(rng.choice([0, 1, 1024, 65536, 262144, 18446744073709551615]))
    if name == "alignment":
        return str(rng.choice([0, 1, 3, 4, 16, 64, 4096, 9223372036854775808]))
    if name in ("entry", "name"):
        return rng.choice(functions + ["model", "missing", "'has space'", "1st"])
    if kind in ("int", "uint", "long", "ulong"):
        return str(rng.choice(INT_VALUES[:12]))
    return "x"


def make_case(k, seed_number, corpus, bin_dir):
    """Case k of a seed: the same input, targets, passes and options on every run."""
    rng = random.Random("sieve-fuzz/%d/%d" % (seed_number, k))
    target = TARGETS[k % len(TARGETS)]
    pass_name, pass_options = corpus.passes[k % len(corpus.passes)]

    # The seed: the stage the pass reads, a model, or anything.
    pool = corpus.by_stage.get(STAGE_INPUT.get(pass_name))
    draw = rng.random()
    if pool and draw < 0.4:
        seed = rng.choice(pool)
    elif draw < 0.8:
        seed = rng.choice(corpus.compile_seeds)
    else:
        seed = rng.choice(corpus.seeds)

    emit = rng.choice(["obj", "obj", "mlir", "llvm", "asm"])
    output = "{out}/model" + EMIT_SUFFIX[emit]
    draw = rng.random()
    if draw < 0.03:
        output = "{out}/missing-dir/model" + EMIT_SUFFIX[emit]
    elif draw < 0.05:
        output = FULL_DEVICE
    compile_argv = [os.path.join(bin_dir, "sieve-compile"), "{input}", "--target=" + target,
                    "-o", output]
    draw = rng.random()
    if draw < 0.02:
        compile_argv.append("--header=" + FULL_DEVICE)
    elif draw < 0.04:
        compile_argv.append("--report=" + FULL_DEVICE)
    if emit != "obj" or rng.random() < 0.5:
        compile_argv.append("--emit=" + emit)
    budget = rng.choice([None, None, "none", "64KiB"])
    if budget:
        compile_argv.append("--memory-budget=" + budget)
    if rng.random() < 0.3:
        compile_argv.append("--placement=" + rng.choice(PLACEMENTS))
    if rng.random() < 0.1:
        compile_argv.append("--save-stages={out}/stages")
    if rng.random() < 0.5:
        compile_argv.append("--quiet")

    flag = "--" + pass_name
    if pass_options and rng.random() < 0.5:
        chosen = rng.sample(pass_options, rng.randint(1, len(pass_options)))
        flag += "=" + " ".join("%s=%s" % (o, option_value(rng, o, t, seed)) for o, t in chosen)
    output = "{out}/out.mlir" if rng.random() >= 0.02 else FULL_DEVICE
    opt_argv = [os.path.join(bin_dir, "sieve-opt"), "{input}", flag, "-o", output]

    text, mutations = mutate(seed.text, rng, corpus)
    name = "c%06d" % k
    return Case(name, text, seed.name, mutations, [
        Run(name + "-compile", "sieve-compile --target=" + target, compile_argv),
        Run(name + "-opt", "sieve-opt " + flag, opt_argv)])


def regression_cases(directory, bin_dir):
    """Every file of the regressions directory, on every target (or its FUZZ-RUN lines)."""
    cases = []
    if not directory or not os.path.isdir(directory):
        return cases
    for path in sorted(glob.glob(os.path.join(directory, "*"))):
        base = os.path.basename(path)
        if not os.path.isfile(path) or base.lower().startswith("readme"):
            continue
        text = read(path)
        name = "reg-" + re.sub(r"[^\w.-]", "_", os.path.splitext(base)[0])
        runs = []
        for i, line in enumerate(re.findall(r"^\s*//\s*FUZZ-RUN:\s*(.+)$", text, re.M)):
            words = shlex.split(line)
            argv = [os.path.join(bin_dir, words[0]), "{input}"] + words[1:]
            if "-o" not in words:
                argv += ["-o", "{out}/out" + (".mlir" if words[0] == "sieve-opt" else ".o")]
            runs.append(Run("%s-%d" % (name, i), " ".join(words), argv))
        if not runs:
            runs = [Run("%s-%s" % (name, target), "sieve-compile --target=" + target,
                        [os.path.join(bin_dir, "sieve-compile"), "{input}", "--target=" + target,
                         "-o", "{out}/model.o"])
                    for target in TARGETS]
        cases.append(Case(name, text, base, [], runs))
    return cases


# ---------------------------------------------------------------------------
# Running and classifying


class Outcome:
    """What one run did, and whether that is a failure (kind) and where (detail)."""

    def __init__(self, case, run, returncode, stdout, stderr, timed_out, seconds):
        self.case = case
        self.run = run
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.timed_out = timed_out
        self.seconds = seconds
        self.kind, self.detail = classify(returncode, stdout, stderr, timed_out)


def signal_name(returncode):
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return "signal %d" % -returncode


def crash_site(text):
    """Where a crash happened, to tell crashes apart: the first stack frame that
    is not the crash handler's, and the first of Sieve's own frames below it;
    without a backtrace, the innermost entry of LLVM's pretty stack trace."""
    entries = re.findall(r"^\d+\.\t(.*)$", text, re.M)
    if len(entries) > 256:
        # LLVM's pretty stack trace, one entry per nested op being parsed or
        # pass being run: a recursion that ran out of stack.
        return ("deep recursion: " + re.sub(r"\s+", " ", entries[-1]))[:200]
    frames = []
    for line in text.splitlines():
        m = re.match(r"\s*#\d+ 0x[0-9a-f]+ (.*)$", line)
        if m and not m.group(1).startswith("(") and not HANDLER_FRAME_RE.search(m.group(1)):
            frame = re.sub(r"\s*\(/[^)]*\)$", "", m.group(1))
            frames.append(re.sub(r"\([^()]*\)", "()", frame).strip())  # no parameter lists
    if frames:
        own = [f for f in frames if "sieve" in f]
        if own and own[0] != frames[0]:
            return ("%s in %s" % (frames[0], own[0]))[:200]
        return frames[0][:200]
    entries = [e for e in entries if not e.startswith("Program arguments")]
    return re.sub(r"\s+", " ", entries[-1]).strip()[:200] if entries else ""


def classify(returncode, stdout, stderr, timed_out):
    """(kind, detail) of a run; kind None when the run is fine."""
    text = stdout + "\n" + stderr
    if timed_out:
        return "timeout", crash_site(text)
    m = SANITIZER_RE.search(text)
    if m:
        line = text[m.start():].splitlines()[0]
        return "sanitizer", re.sub(r"==\d+==|0x[0-9a-f]+", "", line).strip()[:160]
    m = ASSERTION_RE.search(text)
    if m:
        line = text[m.start():].splitlines()[0]
        return "assertion", line[:200]
    m = LLVM_ERROR_RE.search(text)
    if m:
        message = m.group(1)
        kind = "out-of-memory" if "out of memory" in message else "llvm-error"
        return kind, message[:160]
    m = INTERNAL_ERROR_RE.search(text)
    if m:
        return "internal-error", m.group(1)[:160]
    entries = PRETTY_STACK_RE.findall(text)
    parser = UPSTREAM_PARSER_RE.match(entries[-1]) if entries else None
    if (returncode < 0 or CRASH_RE.search(text)) and parser:
        return "upstream-parser-crash", parser.group(1)
    if returncode < 0:
        return "signal:" + signal_name(returncode), crash_site(text)
    if CRASH_RE.search(text):
        return "crash-report", crash_site(text)
    if returncode != 0 and not ERROR_LINE_RE.search(stderr):
        first = (stderr.strip() or stdout.strip()).splitlines()[:1]
        return "no-diagnostic", "exit %d%s" % (returncode, ": " + first[0][:120] if first else "")
    return None, ""


def cpu_seconds(pid):
    """CPU time that process `pid` has used, all threads (Linux; else 0)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def quit_busiest_thread(pid):
    """Sends SIGQUIT to the thread of `pid` that used the most CPU, so that
    LLVM's crash handler prints the stack of the thread that hangs, not of one
    that waits for it (Linux; elsewhere, or if that fails, to the process)."""
    busiest = None
    try:
        most = -1
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            used = int(fields[11]) + int(fields[12])  # utime + stime
            if used > most:
                most, busiest = used, int(tid)
        libc = ctypes.CDLL(None, use_errno=True)
        if busiest is not None and libc.tgkill(pid, busiest, signal.SIGQUIT) == 0:
            return
    except (OSError, ValueError, AttributeError):
        pass
    os.killpg(pid, signal.SIGQUIT)


def run_one(case, run, work_root, timeout, memory_limit):
    """Runs `run` on the input of `case` in a temporary directory."""
    work = tempfile.mkdtemp(prefix=run.name + "-", dir=work_root)
    try:
        input_path = os.path.join(work, "input.mlir")
        with open(input_path, "w", encoding="utf-8") as f:
            f.write(case.text)
        out = os.path.join(work, "out")
        os.mkdir(out)
        argv = [a.replace("{input}", input_path).replace("{out}", out) for a in run.argv]
        start = time.monotonic()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, cwd=work, start_new_session=True)
        try:
            resource.prlimit(proc.pid, resource.RLIMIT_CORE, (0, 0))
            if memory_limit:
                resource.prlimit(proc.pid, resource.RLIMIT_AS, (memory_limit, memory_limit))
        except (OSError, ValueError):
            pass  # The process has already ended.
        timed_out = False
        while True:
            try:
                stdout, stderr = proc.communicate(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                # A hang: `timeout` seconds of CPU, so that a loaded machine
                # does not make slow cases hangs, or 3 times that of wall time
                # (a deadlock takes no CPU).
                wall = time.monotonic() - start
                if cpu_seconds(proc.pid) < timeout and wall < 3 * timeout:
                    continue
            # SIGQUIT first: LLVM's handler prints the stack, which says where
            # the tool hangs; then SIGKILL.
            timed_out = True
            try:
                quit_busiest_thread(proc.pid)
                stdout, stderr = proc.communicate(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except OSError:
                    pass
                stdout, stderr = proc.communicate()
            break
        seconds = time.monotonic() - start
        outcome = Outcome(case, run, proc.returncode, stdout.decode("utf-8", "replace"),
                          stderr.decode("utf-8", "replace"), timed_out, seconds)
        if outcome.kind == "internal-error":
            upstream = upstream_parser_failure(input_path, outcome.detail)
            if upstream:
                outcome.kind, outcome.detail = "upstream-parser-crash", upstream
        return outcome
    finally:
        shutil.rmtree(work, ignore_errors=True)


def upstream_parser_failure(input_path, message):
    """The op whose upstream parser fails on `input_path` with the fatal error
    `message` when MLIR's own mlir-opt reads it, or None. A fatal error
    (report_fatal_error) in a parser reaches Sieve's tools' fatal error
    handler, which calls it an internal error without a stack; mlir-opt's
    crash report names the parser."""
    try:
        proc = subprocess.run([UPSTREAM_MLIR_OPT, input_path, "-o", os.devnull],
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = proc.stderr.decode("utf-8", "replace")
    kind, _ = classify(proc.returncode, "", text, False)
    if kind == "llvm-error" and message in text:
        entries = PRETTY_STACK_RE.findall(text)
        parser = UPSTREAM_PARSER_RE.match(entries[-1]) if entries else None
        if parser:
            return parser.group(1) + " (mlir-opt too: " + message[:80] + ")"
    return None


def save(outcome, directory, seed_number):
    """CASE.mlir, the input, and RUN-KIND.cmd, a shell script that reruns the
    failing run, with the mutations and the output in comments."""
    case, run = outcome.case, outcome.run
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, case.name + ".mlir"), "w", encoding="utf-8") as f:
        f.write(case.text)
    name = "%s-%s" % (run.name, re.sub(r"[^\w.-]", "_", outcome.kind))
    argv = [a.replace("{input}", case.name + ".mlir").replace("{out}", name + ".out")
            for a in run.argv]
    lines = ["#!/bin/sh",
             "# sieve fuzz %s (seed %d): %s, from %s" % (
                 run.name, seed_number, run.tool, case.origin)]
    lines += ["# mutation: " + m for m in case.mutations]
    lines += ["# failure: %s %s" % (outcome.kind, outcome.detail),
              "# rerun: sh %s.cmd" % name,
              'cd "$(dirname "$0")" && mkdir -p %s.out && \\' % name,
              " ".join(shlex.quote(a) for a in argv),
              "# exit status %s after %.1f s%s" % (
                  outcome.returncode, outcome.seconds,
                  " (killed: timeout)" if outcome.timed_out else "")]
    for stream, text in (("stdout", outcome.stdout), ("stderr", outcome.stderr)):
        body = text.splitlines()
        if len(body) > 400:
            body = body[:200] + ["[... %d lines ...]" % (len(body) - 400)] + body[-200:]
        lines.append("# %s:" % stream)
        lines += ["#   " + line for line in body]
    with open(os.path.join(directory, name + ".cmd"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return os.path.join(directory, name)


# ---------------------------------------------------------------------------
# Start-up


def find_tools(bin_dir):
    """The directory of sieve-compile and sieve-opt: `bin_dir`, or where PATH has them."""
    for tool in ("sieve-compile", "sieve-opt"):
        path = os.path.join(bin_dir, tool) if bin_dir else shutil.which(tool)
        if not path or not os.access(path, os.X_OK):
            sys.exit("fuzz: cannot find %s%s" % (tool, " in " + bin_dir if bin_dir else " on PATH"))
        bin_dir = bin_dir or os.path.dirname(os.path.abspath(path))
    return os.path.abspath(bin_dir)


def sieve_passes(bin_dir):
    """The sieve-* passes and pipelines of `sieve-opt --help`, each with its options."""
    result = subprocess.run([os.path.join(bin_dir, "sieve-opt"), "--help"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, universal_newlines=True, timeout=60)
    passes = []
    current = None
    for line in result.stdout.splitlines():
        m = re.match(r"^( +)--([\w-]+)(?:=<(\w+)>)?\s", line + " ")
        if not m:
            continue
        indent = len(m.group(1))
        if current is not None and indent > current[0]:
            current[2].append((m.group(2), m.group(3) or "bool"))
            continue
        current = None
        if m.group(2).startswith("sieve-"):
            current = (indent, m.group(2), [])
            passes.append(current)
    if not passes:
        sys.exit("fuzz: `sieve-opt --help` lists no sieve-* pass")
    return sorted((name, options) for _, name, options in passes)


def sanitized(bin_dir):
    """Whether the tools are built with a sanitizer that reserves a large address space."""
    for tool in ("sieve-compile", "sieve-opt"):
        with open(os.path.join(bin_dir, tool), "rb") as f:
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
                for marker in (b"__asan_init", b"__msan_init", b"__tsan_init", b"__hwasan_init"):
                    if data.find(marker) >= 0:
                        return True
    return False


def stage_seeds(seeds, bin_dir, work_root, jobs):
    """The stages that `sieve-compile --save-stages` writes for each seed, locations stripped."""
    def stages_of(seed):
        work = tempfile.mkdtemp(prefix="stages-", dir=work_root)
        try:
            path = os.path.join(work, "input.mlir")
            with open(path, "w", encoding="utf-8") as f:
                f.write(seed.text)
            try:
                subprocess.run([os.path.join(bin_dir, "sieve-compile"), path, "--emit=mlir",
                                "--memory-budget=none", "--quiet", "--save-stages=" + work + "/st",
                                "-o", work + "/out.mlir"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=60, cwd=work)
            except subprocess.TimeoutExpired:
                pass
            found = []
            for stage_path in sorted(glob.glob(os.path.join(work, "st", "*.mlir"))):
                stage = re.sub(r"^\d+-", "", os.path.splitext(os.path.basename(stage_path))[0])
                if stage == "input" or "llvm" in stage:
                    continue  # the input itself; the LLVM dialect, which no Sieve pass takes
                found.append(Seed("%s@%s" % (seed.name, stage), strip_locations(read(stage_path)),
                                  stage))
            return found
        finally:
            shutil.rmtree(work, ignore_errors=True)
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        return [s for found in pool.map(stages_of, seeds) for s in found]


def cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Seeded mutational fuzzer of sieve-compile and sieve-opt.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="SIEVE_FUZZ_SECONDS, when set, replaces --time-budget.")
    parser.add_argument("--seed", type=int, default=0, help="the seed of every case (default 0)")
    parser.add_argument("--time-budget", type=float, default=120,
                        help="seconds after which no new case starts (default 120)")
    parser.add_argument("--max-cases", type=int, default=None, help="stop after N mutated cases")
    parser.add_argument("--case", type=int, action="append", default=None,
                        help="run only case K (repeatable), e.g. to replay a failure")
    parser.add_argument("--jobs", type=int, default=cpu_count(),
                        help="cases run in parallel (default: the number of CPUs)")
    parser.add_argument("--bin", default=None,
                        help="directory of sieve-compile and sieve-opt (default: PATH)")
    parser.add_argument("--save", default=None,
                        help="directory for the input and the .cmd file of each failing case")
    parser.add_argument("--regressions", default=DEFAULT_REGRESSIONS,
                        help="run every file in DIR first, on every target "
                             "(default test/Fuzz/regressions; '' for none)")
    parser.add_argument("--timeout", type=float, default=30,
                        help="CPU seconds after which a run counts as a hang, or 3 times "
                             "that of wall time (default 30)")
    parser.add_argument("--memory-limit", type=int, default=4096,
                        help="address-space limit of each run in MiB; 0 for none (default "
                             "4096, none when the tools are built with ASan, MSan or TSan)")
    parser.add_argument("--no-stages", action="store_true",
                        help="do not add the seeds' intermediate stages to the corpus")
    parser.add_argument("--verbose", action="store_true", help="print every case")
    args = parser.parse_args(argv)
    if os.environ.get("SIEVE_FUZZ_SECONDS"):
        try:
            args.time_budget = float(os.environ["SIEVE_FUZZ_SECONDS"])
        except ValueError:
            parser.error("SIEVE_FUZZ_SECONDS is not a number: %r"
                         % os.environ["SIEVE_FUZZ_SECONDS"])
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    return args


def main(argv):
    args = parse_args(argv)
    start = time.monotonic()
    bin_dir = find_tools(args.bin)
    passes = sieve_passes(bin_dir)
    memory_limit = args.memory_limit * 1024 * 1024
    if memory_limit and sanitized(bin_dir):
        memory_limit = 0
    work_root = tempfile.mkdtemp(prefix="sieve-fuzz-")
    try:
        seeds = [Seed(os.path.relpath(p, ROOT), read(p)) for p in seed_paths()]
        originals = len(seeds)
        if not args.no_stages:
            seeds += stage_seeds(seeds, bin_dir, work_root, args.jobs)
        corpus = Corpus(seeds, passes)
        regressions = regression_cases(args.regressions, bin_dir)
        print("fuzz: seed %d, %d jobs, budget %g s, timeout %g s; %d seeds + %d stages, %d passes, "
              "%d regression inputs" % (args.seed, args.jobs, args.time_budget, args.timeout,
                                        originals, len(seeds) - originals, len(passes),
                                        len(regressions)), flush=True)
        cases, outcomes = run_all(args, corpus, regressions, bin_dir, work_root, memory_limit,
                                  start)
    finally:
        shutil.rmtree(work_root, ignore_errors=True)
    return summarize(cases, outcomes, time.monotonic() - start, args)


def run_all(args, corpus, regressions, bin_dir, work_root, memory_limit, start):
    """Runs the regressions, then cases until the budget; returns (cases, outcomes)."""
    cases = []
    outcomes = []
    lock = threading.Lock()

    def report(outcome):
        with lock:
            outcomes.append(outcome)
            case, run = outcome.case, outcome.run
            if outcome.kind:
                where = save(outcome, args.save, args.seed) if args.save else None
                print("%s %s [%s] %s: %s <- %s%s%s" % (
                    "NOTE" if outcome.kind in TOLERATED_KINDS else "FAIL",
                    run.name, outcome.kind, run.tool, case.origin,
                    "; ".join(case.mutations) or "unchanged",
                    " | " + outcome.detail if outcome.detail else "",
                    " (saved as %s.cmd)" % where if where else ""), flush=True)
            elif args.verbose:
                error = re.search(r"error: (.*)", outcome.stderr)
                print("ok   %s exit %d %.1fs %s: %s <- %s%s" % (
                    run.name, outcome.returncode, outcome.seconds, run.tool, case.origin,
                    "; ".join(case.mutations), " | " + error.group(1)[:160] if error else ""),
                    flush=True)

    def run(case, one):
        report(run_one(case, one, work_root, args.timeout, memory_limit))

    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        # The regression inputs first, all of them, whatever the time budget.
        futures = [pool.submit(run, case, one) for case in regressions for one in case.runs]
        cases.extend(regressions)
        for future in futures:
            future.result()
        if args.case is not None:
            numbers = iter(args.case)
        else:
            numbers = iter(range(args.max_cases if args.max_cases is not None else 1 << 62))
        pending = set()
        for k in numbers:
            if args.case is None and time.monotonic() - start >= args.time_budget:
                break
            case = make_case(k, args.seed, corpus, bin_dir)
            cases.append(case)
            pending.update(pool.submit(run, case, one) for one in case.runs)
            while len(pending) >= 2 * args.jobs:
                done, pending = concurrent.futures.wait(
                    pending, return_when=concurrent.futures.FIRST_COMPLETED)
                for future in done:
                    future.result()
        for future in pending:
            future.result()
    return cases, outcomes


def summarize(cases, outcomes, seconds, args):
    """Prints the summary, the last line `fuzz: N cases, M failures`; returns the exit status."""
    by_tool = collections.Counter(o.run.tool.split()[0] for o in outcomes)
    failures = [o for o in outcomes if o.kind and o.kind not in TOLERATED_KINDS]
    tolerated = [o for o in outcomes if o.kind in TOLERATED_KINDS]
    diagnosed = sum(1 for o in outcomes if not o.kind and o.returncode != 0)
    if tolerated:
        print("upstream MLIR parser crashes in sieve-opt (not failures): %s" % ", ".join(
            sorted(set("%s (%s)" % (o.detail, o.run.name) for o in tolerated))))
    print("runs by tool: %s" % ", ".join("%s %d" % kv for kv in sorted(by_tool.items())))
    print("outcomes: %d exit 0, %d diagnosed, %d failures" % (
        len(outcomes) - diagnosed - len(failures) - len(tolerated), diagnosed,
        len(failures)))
    if failures:
        kinds = collections.Counter(o.kind for o in failures)
        print("failures by kind: %s" % ", ".join("%s %d" % kv for kv in sorted(kinds.items())))
        groups = collections.OrderedDict()
        for o in sorted(failures, key=lambda o: o.run.name):
            groups.setdefault((o.kind, o.detail), []).append(o)
        print("distinct failures:")
        for (kind, detail), group in groups.items():
            print("  %4d  %s%s  (e.g. %s)" % (len(group), kind, "  " + detail if detail else "",
                                              ", ".join(o.run.name for o in group[:3])))
    print("seconds: %.1f (%.2f cases/s, %.2f runs/s, %d jobs)" % (
        seconds, len(cases) / max(seconds, 1e-9), len(outcomes) / max(seconds, 1e-9), args.jobs))
    print("fuzz: %d cases, %d failures" % (len(cases), len(failures)), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
