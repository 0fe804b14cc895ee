// RUN: sieve-opt %s -split-input-file -sieve-export-entry=name=kws -verify-diagnostics | FileCheck %s

// CHECK-LABEL: func @kws_run
// CHECK-SAME: (%{{.*}}: memref<1x49x10xi8>, %{{.*}}: memref<1x12xi8>, %{{.*}}: memref<64xi8>) -> i32
// CHECK-SAME: sieve.source_name = "main"
// CHECK: %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK: return %[[ZERO]] : i32
func.func @main(%in: memref<1x49x10xi8> {ml_program.identifier = "input"}, %out: memref<1x12xi8>, %arena: memref<64xi8>) attributes {sieve.entry} {
  return
}

// -----

// expected-error @+1 {{no function is marked 'sieve.entry'; run sieve-record-interface first}}
module {
  func.func @main(%out: memref<4xf32>) {
    return
  }
}

// -----

// expected-error @+1 {{entry function still returns values; outputs must be out-parameters (buffer-results-to-out-params)}}
func.func @main(%in: memref<4xf32>) -> memref<4xf32> attributes {sieve.entry} {
  return %in : memref<4xf32>
}

// -----

// expected-error @+1 {{argument 0 has type 'memref<?xf32>'; the C entry point takes statically shaped memrefs with the identity layout (bare pointers)}}
func.func @main(%in: memref<?xf32>) attributes {sieve.entry} {
  return
}

// -----

// expected-error @+1 {{cannot name the entry 'kws_run': the module already has that symbol}}
func.func @main(%in: memref<4xf32>) attributes {sieve.entry} {
  return
}
func.func private @kws_run()
