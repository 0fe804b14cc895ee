// RUN: not sieve-opt %s -sieve-plan-memory="strategy=tetris" 2>&1 | FileCheck %s --check-prefix=STRATEGY
// RUN: not sieve-opt %s -sieve-plan-memory="alignment=12" 2>&1 | FileCheck %s --check-prefix=ALIGN

// STRATEGY: error: unknown placement strategy 'tetris'; use best, greedy-by-size, greedy-by-breadth or by-lifetime (optionally with /best-fit)
// ALIGN: error: arena alignment must be a power of two, got 12
func.func @f(%out: memref<4xf32>) {
  return
}
