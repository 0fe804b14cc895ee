// RUN: sieve-opt %s -split-input-file -sieve-outline-parallel="max-workers=2" -verify-diagnostics
// RUN: not sieve-opt %s -split-input-file -sieve-outline-parallel="max-workers=0" 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: not sieve-opt %s -split-input-file -sieve-outline-parallel="max-workers=2 outline=false" 2>&1 | FileCheck %s --check-prefix=SERIAL

// ZERO: error: max-workers must be between 1 and 1024, got 0
// SERIAL: error: without outlining, marked loops run serially: max-workers must be 1, got 2

func.func @dynamic_bound(%n: index, %out: memref<4xf32>) {
  // expected-error @+1 {{a 'sieve.parallel' loop needs constant bounds and positive constant steps}}
  scf.forall (%i) in (%n) {
    %t = memref.alloc() : memref<4xf32>
    memref.copy %t, %out : memref<4xf32> to memref<4xf32>
  } {sieve.parallel}
  return
}

// -----

func.func @tensors(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{a 'sieve.parallel' loop still has tensor results; sieve-outline-parallel runs after bufferization}}
  %r = scf.forall (%i) in (4) shared_outs(%o = %x) -> tensor<4xf32> {
    %e = tensor.extract_slice %o[%i] [1] [1] : tensor<4xf32> to tensor<1xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %e into %o[%i] [1] [1] : tensor<1xf32> into tensor<4xf32>
    }
  } {sieve.parallel}
  return %r : tensor<4xf32>
}

// -----

func.func @dynamic_scratch(%n: index, %out: memref<4xf32>) {
  scf.forall (%i) in (4) {
    // expected-error @+1 {{cannot give each worker a copy of a buffer of type 'memref<?xf32>': it needs a static shape and the identity layout}}
    %t = memref.alloc(%n) : memref<?xf32>
    %s = memref.subview %t[0] [4] [1] : memref<?xf32> to memref<4xf32, strided<[1]>>
    memref.copy %s, %out : memref<4xf32, strided<[1]>> to memref<4xf32>
  } {sieve.parallel}
  return
}

// -----

func.func @scratch_flows_out(%x: memref<4xf32>, %out: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  scf.forall (%i) in (4) {
    %r = scf.for %k = %c0 to %c3 step %c1 iter_args(%b = %x) -> memref<4xf32> {
      // expected-error @+1 {{this buffer of a 'sieve.parallel' loop flows into scf.yield; scratch must stay within one iteration}}
      %t = memref.alloc() : memref<4xf32>
      memref.copy %b, %t : memref<4xf32> to memref<4xf32>
      scf.yield %t : memref<4xf32>
    }
    memref.copy %r, %out : memref<4xf32> to memref<4xf32>
  } {sieve.parallel}
  return
}

// -----

func.func @strided_capture(%x: memref<4xf32, strided<[2]>>, %out: memref<4xf32>) {
  // expected-error @+1 {{the body of this 'sieve.parallel' loop uses a value of type 'memref<4xf32, strided<[2]>>' defined outside it; a task takes only scalars and statically shaped buffers with the identity layout}}
  scf.forall (%i) in (4) {
    memref.copy %x, %out : memref<4xf32, strided<[2]>> to memref<4xf32>
  } {sieve.parallel}
  return
}

// -----

func.func @too_many_tasks(%out: memref<4xf32>) {
  // expected-error @+1 {{this 'sieve.parallel' loop has more than 2^31-1 iterations; the hook counts tasks in int32_t}}
  scf.forall (%i, %j) in (65536, 65536) {
    %t = memref.alloc() : memref<4xf32>
    memref.copy %t, %out : memref<4xf32> to memref<4xf32>
  } {sieve.parallel}
  return
}
