// RUN: sieve-opt %s -sieve-verify-input=entry=b | FileCheck %s
// RUN: sieve-opt %s -sieve-verify-input=entry=missing -verify-diagnostics -split-input-file

// With an explicit entry, other public functions are fine.
// CHECK-LABEL: func @a
// CHECK-LABEL: func @b
// expected-error @+1 {{no function 'missing' with a body to compile in this module}}
module {
  func.func @a(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
  func.func @b(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}
