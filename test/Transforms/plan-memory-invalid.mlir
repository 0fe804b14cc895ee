// RUN: sieve-opt %s -split-input-file -sieve-plan-memory="memory-budget=200" -verify-diagnostics

// The plan does not fit the budget: the error sits at the op at the peak.
#id = affine_map<(d0) -> (d0)>
// expected-note @+1 {{no placement can fit: the live buffers alone exceed the budget by 56 bytes}}
func.func @over_budget(%in: memref<4x8xf32>, %out: memref<8x4xf32>) {
  %a = memref.alloc() : memref<4x8xf32>
  linalg.copy ins(%in : memref<4x8xf32>) outs(%a : memref<4x8xf32>)
  %b = memref.alloc() : memref<8x4xf32>
  // expected-error @+1 {{the memory plan needs a 256-byte arena, 56 bytes over the budget of 200 bytes; at this 'linalg.transpose' 256 bytes of buffers are live}}
  linalg.transpose ins(%a : memref<4x8xf32>) outs(%b : memref<8x4xf32>) permutation = [1, 0]
  linalg.copy ins(%b : memref<8x4xf32>) outs(%out : memref<8x4xf32>)
  return
}

// -----

func.func @dynamic(%n: index, %out: memref<?xf32>) {
  // expected-error @+1 {{cannot place a buffer of type 'memref<?xf32>' in the static arena: dimension 0 has no constant upper bound}}
  %a = memref.alloc(%n) : memref<?xf32>
  linalg.copy ins(%a : memref<?xf32>) outs(%out : memref<?xf32>)
  return
}

// -----

func.func @in_loop(%out: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %i = %c0 to %c4 step %c1 {
    // expected-error @+1 {{cannot place a buffer allocated inside a region ('scf.for') in the static arena; hoist it to the function body}}
    %a = memref.alloc() : memref<4xf32>
    linalg.copy ins(%a : memref<4xf32>) outs(%out : memref<4xf32>)
  }
  return
}

// -----

func.func @escapes() -> memref<4xf32> {
  %a = memref.alloc() : memref<4xf32>
  // expected-error @+1 {{a buffer escapes through the terminator; outputs must be written into the caller's output arguments (buffer-results-to-out-params)}}
  return %a : memref<4xf32>
}

