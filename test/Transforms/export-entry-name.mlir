// RUN: sieve-opt %s -sieve-export-entry="name=2fast" -verify-diagnostics

// expected-error @below {{model name '2fast' is not a C identifier}}
module {
  func.func @main(%in: memref<4xf32>) attributes {sieve.entry} {
    return
  }
}
