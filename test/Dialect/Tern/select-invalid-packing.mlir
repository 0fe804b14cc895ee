// RUN: sieve-opt %s -split-input-file -sieve-select-ternary-kernel="target=cortex-m4 packing=t5" -verify-diagnostics

func.func @t5_simd(%x: tensor<1x4xi8>) -> tensor<1x1xi32> {
  // expected-error @+1 {{'tern.matmul' op packing t5 is read by the 'portable' kernel only, not by 'smlad'}}
  %y = tern.matmul %x weights(#tern.packed<t5, [1, 4], dense<-116> : tensor<1x1xi8>>) {kernel = "smlad"} : tensor<1x4xi8> -> tensor<1x1xi32>
  return %y : tensor<1x1xi32>
}
